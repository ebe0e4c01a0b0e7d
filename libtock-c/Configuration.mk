################################################################################
# libtock-c build configuration: toolchains, flags and the targets every app
# is built for. Included by AppMakefile.mk; apps may override any `?=` value
# on the command line or before the include.
################################################################################

ifndef LIBTOCK_C_CONFIGURATION
LIBTOCK_C_CONFIGURATION := 1

MAKEFLAGS += -r -R

LIBTOCK_C_DIR ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
WORKSPACE_DIR ?= $(abspath $(LIBTOCK_C_DIR)/..)

# Process memory requests written into the TBF header.
STACK_SIZE       ?= 2048
APP_HEAP_SIZE    ?= 1024
KERNEL_HEAP_SIZE ?= 1024
# The app's version (the TBF program header's; the kernel runs the highest
# of one identity, and a board may refuse lower ones).
APP_VERSION ?= 0
# An ECDSA P-256 private key (`tbf keygen`'s .pem, or SEC1): when set, every
# image is signed with it as it is packed.
SIGNING_KEY ?=
# Flash of one slot of a RISC-V target (TOCK_TARGETS below are 64 KiB
# apart): an app whose binary does not fit beside its 0x80-byte header
# fails to link, naming the region, instead of overlapping the next slot.
SLOT_FLASH_BYTES_rv32imac ?= 0x10000

KERNEL_MAJOR_VERSION ?= 2
KERNEL_MINOR_VERSION ?= 0

# Targets: each entry is `arch|flash address|RAM address`, or upstream
# libtock-c's four-field form `arch|output name|flash address|RAM address`
# (so upstream's board lists, e.g. its Configuration.mk's, work here too).
# Every app is linked once per entry; all the results go into one TAB, and
# the installer picks the image whose addresses fit the board (as
# tockloader does).
#
# RISC-V apps are fixed-address (GCC cannot make Tock-style PIC for RISC-V).
# qemu-rv32-virt keeps apps from 0x20040000 (a chain of TBFs in pflash) and
# process RAM from 0x80010000; each slot is 64 KiB of flash and 64 KiB of
# RAM. The binary starts 0x80 after the slot start: the TBF header and its
# padding (the protected region) come first.
RV32_TARGETS ?= \
  rv32imac|0x20040080|0x80010000 \
  rv32imac|0x20050080|0x80020000 \
  rv32imac|0x20060080|0x80030000 \
  rv32imac|0x20070080|0x80040000

# Cortex-M apps are fixed-address too: r9-based PIC needs a libc built that
# way and Debian's picolibc is not (see docs/libtock-c.md). One slot each,
# at the start of the app region of nRF52840-class and mps2 boards.
ARM_TARGETS ?= \
  cortex-m0|0x00040080|0x20008000 \
  cortex-m4|0x00040080|0x20008000

TOCK_TARGETS ?= $(RV32_TARGETS) $(ARM_TARGETS)

# Helpers to read one field of a target entry, in either form: the RAM
# address is the last field; a fourth field means the second is a name.
target_fields = $(subst |, ,$(1))
target_named  = $(word 4,$(call target_fields,$(1)))
target_arch   = $(word 1,$(call target_fields,$(1)))
target_flash  = $(word $(if $(call target_named,$(1)),3,2),$(call target_fields,$(1)))
target_ram    = $(lastword $(call target_fields,$(1)))
target_name   = $(if $(call target_named,$(1)),$(word 2,$(call target_fields,$(1))),$\
                  $(call target_arch,$(1)).$(call target_flash,$(1)).$(call target_ram,$(1)))

# Upstream's one- and two-field entries (`cortex-m4`) are position
# independent; that needs a libc built for r9-based PIC (docs/libtock-c.md).
$(foreach target,$(TOCK_TARGETS),$(if $(filter 3 4,$(words $(call target_fields,$(target)))),,$\
  $(error TOCK_TARGETS entry "$(target)": use arch|flash|ram or arch|name|flash|ram; $\
  position-independent entries need an r9-PIC libc, see docs/libtock-c.md)))

TOCK_ARCHS := $(sort $(foreach target,$(TOCK_TARGETS),$(call target_arch,$(target))))

# Toolchains: Debian's cross compilers with picolibc (no downloads).
TOOLCHAIN_rv32imac  ?= riscv64-unknown-elf
TOOLCHAIN_cortex-m0 ?= arm-none-eabi
TOOLCHAIN_cortex-m4 ?= arm-none-eabi

ARCH_FLAGS_rv32imac  := -march=rv32imac -mabi=ilp32 -mcmodel=medlow
ARCH_FLAGS_cortex-m0 := -mthumb -mcpu=cortex-m0 -march=armv6s-m -mfloat-abi=soft
ARCH_FLAGS_cortex-m4 := -mthumb -mcpu=cortex-m4 -mfloat-abi=soft

# --no-relax: no gp-relative accesses on RISC-V (the kernel does not set gp).
LINK_FLAGS_rv32imac  := -Wl,--no-relax
LINK_FLAGS_cortex-m0 :=
LINK_FLAGS_cortex-m4 :=

# printf flavour: integer, float or double (picolibc's variants; integer is
# smallest, double is full C).
LIBTOCK_PRINTF ?= float
PRINTF_FLAG_integer := -DPICOLIBC_INTEGER_PRINTF_SCANF
PRINTF_FLAG_float   := -DPICOLIBC_FLOAT_PRINTF_SCANF
PRINTF_FLAG_double  := -DPICOLIBC_DOUBLE_PRINTF_SCANF
PRINTF_FLAG := $(PRINTF_FLAG_$(LIBTOCK_PRINTF))
ifeq ($(PRINTF_FLAG),)
  $(error LIBTOCK_PRINTF=$(LIBTOCK_PRINTF): use integer, float or double)
endif

# Warnings are errors when WERROR=1 (CI sets it: cargo xtask test libtock-c).
WERROR ?= 0
WERROR_FLAG_1 := -Werror
WERROR_FLAG_0 :=

COMMON_CFLAGS := --specs=picolibc.specs -std=gnu11 -Os -g \
  -ffunction-sections -fdata-sections -fno-common \
  -Wall -Wextra -Wshadow -Wpointer-arith -Wwrite-strings -Wmissing-prototypes \
  -Wold-style-definition -Wredundant-decls -Wformat=2 \
  $(WERROR_FLAG_$(WERROR)) $(PRINTF_FLAG) \
  -I$(LIBTOCK_C_DIR)

COMMON_LDFLAGS := --specs=picolibc.specs -nostartfiles -Wl,--gc-sections \
  -Wl,--build-id=none -Wl,--warn-common $(PRINTF_FLAG)

# Packaging: our packager by default; PACKAGER=elf2tab uses upstream's.
PACKAGER ?= tbf
ELF2TAB  ?= $(HOME)/.cache/tock-dev/elf2tab/bin/elf2tab
# TBF names a built `tbf` binary (xtask passes it); otherwise cargo runs it.
TBF ?=
PACKAGER_COMMAND_tbf     = $(if $(TBF),$(TBF) pack,cargo run -q --manifest-path \
                           $(WORKSPACE_DIR)/Cargo.toml -p tbf-tools --bin tbf -- pack)
PACKAGER_COMMAND_elf2tab = $(ELF2TAB)
PACKAGER_COMMAND = $(PACKAGER_COMMAND_$(PACKAGER))
ifeq ($(PACKAGER_COMMAND),)
  $(error PACKAGER=$(PACKAGER): use tbf (ours) or elf2tab (upstream))
endif
PACKAGER_FLAGS = -n $(PACKAGE_NAME) --stack $(STACK_SIZE) --app-heap $(APP_HEAP_SIZE) \
  --kernel-heap $(KERNEL_HEAP_SIZE) \
  --kernel-major $(KERNEL_MAJOR_VERSION) --kernel-minor $(KERNEL_MINOR_VERSION) \
  --app-version $(APP_VERSION) \
  $(if $(SIGNING_KEY),--ecdsa-nist-p256-private $(SIGNING_KEY) --minimum-footer-size 128)

# Where the libraries are built, per architecture: under the app's build
# folder, never inside the libtock-c checkout.
LIBTOCK_BUILD_DIR ?= $(BUILD_DIR)/libtock-c

endif
