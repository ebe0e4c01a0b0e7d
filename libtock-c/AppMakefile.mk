################################################################################
# The one file an app Makefile includes. The app's Makefile is:
#
#     SOURCES := main.c other.c        # the app's C sources
#     include ../../../libtock-c/AppMakefile.mk
#
# `make` builds build/<name>.tab with one image per entry of TOCK_TARGETS
# (Configuration.mk), packaged by our `tbf pack` (PACKAGER=elf2tab for
# upstream's). `make run` boots it on qemu-rv32-virt through
# `cargo xtask qemu`; `make clean` removes build/.
################################################################################

LIBTOCK_C_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
include $(LIBTOCK_C_DIR)/Configuration.mk

PACKAGE_NAME ?= $(notdir $(CURDIR))
BUILD_DIR    ?= $(CURDIR)/build
SOURCES      ?= $(wildcard *.c)
TAB          := $(BUILD_DIR)/$(PACKAGE_NAME).tab

ifeq ($(strip $(SOURCES)),)
  $(error $(CURDIR): no C sources; set SOURCES in the app Makefile)
endif

LIBTOCK_SOURCES      := $(wildcard $(LIBTOCK_C_DIR)/libtock/*.c)
LIBTOCK_SYNC_SOURCES := $(wildcard $(LIBTOCK_C_DIR)/libtock-sync/*.c)
RUNTIME_SOURCES      := $(LIBTOCK_C_DIR)/runtime/crt0.c $(LIBTOCK_C_DIR)/runtime/sys.c
LIBRARY_HEADERS      := $(wildcard $(LIBTOCK_C_DIR)/libtock/*.h $(LIBTOCK_C_DIR)/libtock-sync/*.h \
                                   $(LIBTOCK_C_DIR)/runtime/*.h)

# V=1 shows every command; by default one short line per step.
V ?= 0
ifeq ($(V),0)
  Q := @
  SAY = @printf '  %-8s %s\n'
else
  Q :=
  SAY = @true
endif

.PHONY: all tab run clean
all: $(TAB)
tab: $(TAB)

# Per-architecture library rules: $(1) = architecture.
define LIBRARY_RULES
LIB_DIR_$(1) := $(LIBTOCK_BUILD_DIR)/$(1)
CC_$(1) := $(TOOLCHAIN_$(1))-gcc
AR_$(1) := $(TOOLCHAIN_$(1))-ar
CFLAGS_$(1) := $(COMMON_CFLAGS) $(ARCH_FLAGS_$(1))

$$(LIB_DIR_$(1))/libtock/%.o: $(LIBTOCK_C_DIR)/libtock/%.c $(LIBRARY_HEADERS)
	@mkdir -p $$(@D)
	$$(SAY) "CC $(1)" libtock/$$*.c
	$$(Q)$$(CC_$(1)) $$(CFLAGS_$(1)) -c $$< -o $$@

$$(LIB_DIR_$(1))/libtock-sync/%.o: $(LIBTOCK_C_DIR)/libtock-sync/%.c $(LIBRARY_HEADERS)
	@mkdir -p $$(@D)
	$$(SAY) "CC $(1)" libtock-sync/$$*.c
	$$(Q)$$(CC_$(1)) $$(CFLAGS_$(1)) -c $$< -o $$@

$$(LIB_DIR_$(1))/runtime/%.o: $(LIBTOCK_C_DIR)/runtime/%.c $(LIBRARY_HEADERS)
	@mkdir -p $$(@D)
	$$(SAY) "CC $(1)" runtime/$$*.c
	$$(Q)$$(CC_$(1)) $$(CFLAGS_$(1)) -c $$< -o $$@

$$(LIB_DIR_$(1))/libtock.a: $(patsubst $(LIBTOCK_C_DIR)/libtock/%.c,$$(LIB_DIR_$(1))/libtock/%.o,$(LIBTOCK_SOURCES))
	@rm -f $$@
	$$(SAY) "AR $(1)" libtock.a
	$$(Q)$$(AR_$(1)) rcs $$@ $$^

$$(LIB_DIR_$(1))/libtock-sync.a: $(patsubst $(LIBTOCK_C_DIR)/libtock-sync/%.c,$$(LIB_DIR_$(1))/libtock-sync/%.o,$(LIBTOCK_SYNC_SOURCES))
	@rm -f $$@
	$$(SAY) "AR $(1)" libtock-sync.a
	$$(Q)$$(AR_$(1)) rcs $$@ $$^

RUNTIME_OBJECTS_$(1) := $(patsubst $(LIBTOCK_C_DIR)/runtime/%.c,$$(LIB_DIR_$(1))/runtime/%.o,$(RUNTIME_SOURCES))
LIBRARIES_$(1) := $$(LIB_DIR_$(1))/libtock-sync.a $$(LIB_DIR_$(1))/libtock.a
endef

# Per-target app rules: $(1) = target entry (arch|flash|ram), $(2) = its
# build directory, $(3) = its architecture.
define TARGET_RULES
$(2)/%.o: %.c $(LIBRARY_HEADERS)
	@mkdir -p $$(@D)
	$$(SAY) "CC $(3)" $$<
	$$(Q)$$(CC_$(3)) $$(CFLAGS_$(3)) $(APP_CFLAGS) -c $$< -o $$@

# The layout: userland.ld linked for this target's flash and RAM addresses.
$(2)/layout.ld:
	@mkdir -p $$(@D)
	$$(Q)printf 'TOCK_FLASH_ORIGIN = %s;\nTOCK_RAM_ORIGIN = %s;\n%bINCLUDE userland.ld\n' \
	  $(call target_flash,$(1)) $(call target_ram,$(1)) \
	  '$(if $(SLOT_FLASH_BYTES_$(3)),TOCK_FLASH_LENGTH = $(SLOT_FLASH_BYTES_$(3)) - 0x80;\n)' > $$@

$(2)/$(call target_name,$(1)).elf: $(patsubst %.c,$(2)/%.o,$(SOURCES)) \
    $$(RUNTIME_OBJECTS_$(3)) $$(LIBRARIES_$(3)) $(2)/layout.ld \
    $(LIBTOCK_C_DIR)/runtime/userland.ld
	$$(SAY) LD $$(notdir $$@)
	$$(Q)$$(CC_$(3)) $(COMMON_LDFLAGS) $(ARCH_FLAGS_$(3)) $(LINK_FLAGS_$(3)) \
	  -L$(LIBTOCK_C_DIR)/runtime -T$(2)/layout.ld \
	  -Wl,--defsym=STACK_SIZE=$(STACK_SIZE) -Wl,-Map=$$@.map -o $$@ \
	  $$(filter %.o,$$^) $$(filter %.a,$$^) $(APP_LIBS)

ELFS += $(2)/$(call target_name,$(1)).elf
endef

$(foreach arch,$(TOCK_ARCHS),$(eval $(call LIBRARY_RULES,$(arch))))
$(foreach target,$(TOCK_TARGETS),$(eval $(call TARGET_RULES,$(target),$(BUILD_DIR)/$(call target_name,$(target)),$(call target_arch,$(target)))))

$(TAB): $(ELFS)
	$(SAY) PACK $(notdir $@)
	$(Q)$(PACKAGER_COMMAND) $(PACKAGER_FLAGS) -o $@ $(ELFS)

# Runs the TAB on qemu-rv32-virt with the console on this terminal.
run: $(TAB)
	cd $(WORKSPACE_DIR) && cargo xtask qemu --board qemu-rv32-virt --tab $(TAB)

clean:
	rm -rf $(BUILD_DIR)
