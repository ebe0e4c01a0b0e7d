//! The files `cargo xtask new-app` writes. `{name}`, `{workspace}`,
//! `{tbf}` and `{loader}` are replaced when the app is made; every other
//! brace is literal.

/// `Cargo.toml` of a Rust app: libtock by path, sizes tuned for flash.
pub const RUST_CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
# The one dependency of a Tock app in Rust. Its runtime links the app with
# the layout named by LIBTOCK_LAYOUT (set in .cargo/config.toml).
libtock = { path = "{workspace}/libtock-rs/libtock" }

# A workspace of its own, so the app builds wherever it lives.
[workspace]

[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
debug = true

[profile.dev]
panic = "abort"
"#;

/// `.cargo/config.toml`: the board's target and layout, so a plain
/// `cargo build --release` makes an app for qemu-rv32-virt.
pub const RUST_CARGO_CONFIG: &str = r#"# The board this app is built for: qemu-rv32-virt (RISC-V, first app slot).
# For another board change both: nrf52840dk.ld or mps2_an386.ld with
# target thumbv7em-none-eabi (docs/libtock-rs.md lists the layouts).
[build]
target = "riscv32imac-unknown-none-elf"

[env]
LIBTOCK_LAYOUT = "qemu_rv32_virt.ld"
"#;

/// `src/main.rs` of a Rust app.
pub const RUST_MAIN: &str = r#"//! {name}: a Tock app in Rust. It greets, then counts three seconds.
#![no_main]
#![no_std]

use libtock::alarm::{Alarm, Milliseconds};
use libtock::println;

libtock::set_main! {main}
// Keep in step with --stack in the Makefile.
libtock::stack_size! {0x400}

fn main() {
    println!("Hello from {name}!");
    for second in 1..=3 {
        let _ = Alarm::sleep(Milliseconds(1000));
        println!("{name}: {second} s");
    }
}
"#;

/// The `Makefile` of a Rust app: build, package, sign, verify, install.
pub const RUST_MAKEFILE: &str = r#"# {name}: build, package and sign with `make`; install on a running board
# with `make install PORT=tcp:127.0.0.1:4444` (see README.md).
NAME     := {name}
TOCK     ?= {workspace}
TBF      ?= {tbf}
LOADER   ?= {loader}
KEY      ?= keys/developer
PORT     ?= tcp:127.0.0.1:4444
CARGO_TARGET_DIR ?= target
ELF      := $(CARGO_TARGET_DIR)/riscv32imac-unknown-none-elf/release/$(NAME)
TAB      := build/$(NAME).tab

.PHONY: all build install listen board clean
all: $(TAB)

build:
	cargo build --release

# Package (the kernel's version, stack as in main.rs' stack_size!), sign
# with the developer key, then check the signature before anything ships.
$(TAB): build
	mkdir -p build
	cp $(ELF) build/$(NAME)
	$(TBF) pack --kernel-major 2 --kernel-minor 1 --protected-region-size 96 \
	    --stack 1024 -n $(NAME) --ecdsa-nist-p256-private $(KEY).der \
	    -o $(TAB) build/$(NAME),riscv32imac
	$(TBF) verify --key $(KEY).pub $(TAB)

install: $(TAB)
	$(LOADER) install --port $(PORT) $(TAB)

# The board's console (Ctrl-C ends it).
listen:
	$(LOADER) listen --port $(PORT)

# Boots qemu-rv32-virt built to run only apps signed with this key, its
# serial line on PORT for `make install`. Its flash (kernel and installed
# apps, kept across boots) is build/board.pflash; `make clean` erases it.
board:
	mkdir -p build
	cd $(TOCK) && BOARD_SIGNING_KEY=$(abspath $(KEY).pub.pem) cargo xtask qemu \
	    --board qemu-rv32-virt --flash $(abspath build/board.pflash) --serial $(PORT)

clean:
	rm -rf build target
"#;

/// `main.c` of a C app.
pub const C_MAIN: &str = r#"// {name}: a Tock app in C. It greets, then counts three seconds.
#include <stdio.h>

#include <libtock-sync/alarm.h>

int main(void) {
  printf("Hello from {name}!\n");
  for (int second = 1; second <= 3; second++) {
    libtocksync_alarm_delay_ms(1000);
    printf("{name}: %d s\n", second);
  }
  return 0;
}
"#;

/// The `Makefile` of a C app: libtock-c's AppMakefile.mk by path, with
/// signing added to its packaging.
pub const C_MAKEFILE: &str = r#"# {name}: build, package and sign with `make`; install on a running board
# with `make install PORT=tcp:127.0.0.1:4444` (see README.md).
PACKAGE_NAME := {name}
SOURCES      := main.c
TBF          ?= {tbf}
LOADER       ?= {loader}
KEY          ?= keys/developer
PORT         ?= tcp:127.0.0.1:4444
# libtock-c's libraries are built here, not in the Tock checkout.
LIBTOCK_BUILD_DIR := $(CURDIR)/build/libtock-c
# The kernel's version, so the board runs the image.
KERNEL_MINOR_VERSION := 1

include {workspace}/libtock-c/AppMakefile.mk

# Every image in the TAB is signed with the developer key.
PACKAGER_FLAGS += --ecdsa-nist-p256-private $(KEY).der

.PHONY: signed install listen board
all: signed
signed: $(TAB)
	$(TBF) verify --key $(KEY).pub $(TAB)

install: signed
	$(LOADER) install --port $(PORT) $(TAB)

# The board's console (Ctrl-C ends it).
listen:
	$(LOADER) listen --port $(PORT)

# Boots qemu-rv32-virt built to run only apps signed with this key, its
# serial line on PORT for `make install`. Its flash (kernel and installed
# apps, kept across boots) is build/board.pflash; `make clean` erases it.
board:
	mkdir -p $(BUILD_DIR)
	cd $(WORKSPACE_DIR) && BOARD_SIGNING_KEY=$(abspath $(KEY).pub) cargo xtask qemu \
	    --board qemu-rv32-virt --flash $(BUILD_DIR)/board.pflash --serial $(PORT)
"#;

/// `.gitignore` of either kind: build output and the private key.
pub const GITIGNORE: &str = "/target\n/build\n/keys/*.der\n/keys/*.pem\n!/keys/*.pub.pem\n";

/// `README.md` of either kind.
pub const README: &str = r#"# {name}

A Tock app made by `cargo xtask new-app` in {workspace}.

    make                                  # build, package, sign and verify build/{name}.tab
    make board PORT=tcp:127.0.0.1:4444    # in another terminal: boot qemu-rv32-virt with this key
    make install PORT=tcp:127.0.0.1:4444  # install it on the running board; it starts at once
    make listen PORT=tcp:127.0.0.1:4444   # its console (Ctrl-C ends it)

`keys/developer.der` and `keys/developer.pem` are the private signing key:
keep them out of any repository. The board runs only apps signed with
`keys/developer.pub`. See {workspace}/docs/getting-started.md.
"#;
