//! The C view of the Tock system-call ABI: renders libtock-c's `tock_abi.h`
//! from the `kernel-abi` crate, the one definition of every number that
//! crosses the kernel/process boundary.
//!
//! Guarantees: every constant in the rendered header is read from
//! `kernel-abi` (its `ALL` tables and `name()`s); none is typed here. Names
//! follow upstream libtock-c (`TOCK_SYSCALL_SUCCESS_U32`,
//! `RETURNCODE_ENODEVICE`, `DRIVER_NUM_ALARM`, ...), so C apps written for
//! upstream compile unchanged. The output is deterministic: rendering twice
//! gives the same bytes, so the checked-in header can be compared byte for
//! byte (`cargo test -p libtock-c-abi-header`).
//!
//! Must never: re-type an ABI number, or depend on anything but `kernel-abi`.
#![forbid(unsafe_code)]

use core::fmt::{Debug, Write};
use kernel_abi::{
    DriverNumber, ErrorCode, ExitKind, MemopOperation, ReturnVariant, SyscallClass, YieldKind,
    KERNEL_VERSION,
};

/// Where the header lives, relative to the `libtock-c` folder.
pub const HEADER_PATH: &str = "libtock/tock_abi.h";

/// `FailureU32U32` -> `FAILURE_U32_U32`: upstream's spelling of a variant.
pub fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    let mut previous_was_lower_or_digit = false;
    for character in camel.chars() {
        let starts_word = character.is_ascii_uppercase() && previous_was_lower_or_digit;
        if starts_word {
            out.push('_');
        }
        out.push(character.to_ascii_uppercase());
        previous_was_lower_or_digit = character.is_ascii_lowercase() || character.is_ascii_digit();
    }
    out
}

/// The Rust variant name of an ABI enum value (its `Debug` form).
fn variant_name<T: Debug>(value: &T) -> String {
    format!("{value:?}")
}

/// One C enum: `typedef enum { PREFIX_NAME = value, ... } type_name;`.
fn render_enum<T: Debug + Copy + Into<u32>>(
    out: &mut String,
    comment: &str,
    type_name: &str,
    prefix: &str,
    values: &[T],
) {
    let _ = writeln!(out, "// {comment}");
    let _ = writeln!(out, "typedef enum {{");
    for value in values {
        let name = screaming_snake(&variant_name(value));
        let _ = writeln!(out, "  {prefix}{name} = {},", (*value).into());
    }
    let _ = writeln!(out, "}} {type_name};\n");
}

/// The error codes twice: as `statuscode_t` (positive, as upcalls carry
/// them) and as `returncode_t` (negated, as libtock functions return them).
fn render_error_codes(out: &mut String) {
    let _ = writeln!(
        out,
        "// Status codes (TRD104 3.2): 0 is success, errors are positive; upcalls\n\
         // carry these."
    );
    let _ = writeln!(out, "typedef enum {{\n  TOCK_STATUSCODE_SUCCESS = 0,");
    for code in ErrorCode::ALL {
        let _ = writeln!(out, "  TOCK_STATUSCODE_{} = {},", code.name(), *code as u32);
    }
    let _ = writeln!(out, "}} statuscode_t;\n");
    let _ = writeln!(
        out,
        "// Return codes: what libtock functions return, 0 or a negated error code."
    );
    let _ = writeln!(out, "typedef enum {{\n  RETURNCODE_SUCCESS = 0,");
    for code in ErrorCode::ALL {
        // Upstream spells the generic failure RETURNCODE_FAIL, every other
        // code with an E prefix.
        let prefix = if *code == ErrorCode::Fail { "" } else { "E" };
        let _ = writeln!(
            out,
            "  RETURNCODE_{prefix}{} = -{},",
            code.name(),
            *code as u32
        );
    }
    // Not a kernel code: libtock-c's own "unexpected return variant" value,
    // upstream's -1024. It also keeps the enum int-sized under Arm's short
    // enums.
    let _ = writeln!(out, "  RETURNCODE_EBADRVAL = -1024,");
    let _ = writeln!(out, "}} returncode_t;\n");
}

/// `#define DRIVER_NUM_<NAME> 0x...` for every driver `kernel-abi` names.
fn render_drivers(out: &mut String) {
    let _ = writeln!(
        out,
        "// Driver numbers (upstream Tock's); command 0 of each checks existence."
    );
    for (number, name) in DriverNumber::ALL {
        let _ = writeln!(
            out,
            "#define DRIVER_NUM_{} 0x{:X}",
            name.to_ascii_uppercase(),
            number.0
        );
    }
    out.push('\n');
}

/// The whole header, byte for byte as it must be checked in.
pub fn render() -> String {
    let mut out = String::new();
    out.push_str(
        "// GENERATED from kernel/abi (crate kernel-abi) by\n\
         //   cargo run -p libtock-c-abi-header -- write\n\
         // Do not edit: `cargo xtask test libtock-c` fails when this file and\n\
         // kernel-abi differ.\n\
         #pragma once\n\n",
    );
    let _ = writeln!(
        out,
        "// The highest kernel ABI version the library is written for.\n\
         #define TOCK_KERNEL_VERSION_MAJOR {}\n\
         #define TOCK_KERNEL_VERSION_MINOR {}\n",
        KERNEL_VERSION.0, KERNEL_VERSION.1
    );
    render_enum(
        &mut out,
        "System-call classes: a4 on RISC-V, the svc immediate on Arm.",
        "syscall_class_t",
        "TOCK_SYSCALL_CLASS_",
        SyscallClass::ALL,
    );
    render_enum(
        &mut out,
        "Return variants: the first return register, saying how to read the rest.",
        "syscall_rtype_t",
        "TOCK_SYSCALL_",
        ReturnVariant::ALL,
    );
    render_enum(
        &mut out,
        "Yield kinds: the first argument of a yield.",
        "yield_kind_t",
        "TOCK_YIELD_",
        YieldKind::ALL,
    );
    render_enum(
        &mut out,
        "Memop operations: the first argument of a memop.",
        "memop_operation_t",
        "TOCK_MEMOP_",
        MemopOperation::ALL,
    );
    render_enum(
        &mut out,
        "Exit kinds: the first argument of an exit.",
        "exit_kind_t",
        "TOCK_EXIT_",
        ExitKind::ALL,
    );
    render_error_codes(&mut out);
    render_drivers(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn screaming_snake_splits_words_and_numbers_like_upstream() {
        assert_eq!(screaming_snake("FailureU32U32"), "FAILURE_U32_U32");
        assert_eq!(screaming_snake("SuccessU32U64"), "SUCCESS_U32_U64");
        assert_eq!(screaming_snake("NoWait"), "NO_WAIT");
        assert_eq!(
            screaming_snake("UserspaceReadableAllow"),
            "USERSPACE_READABLE_ALLOW"
        );
        assert_eq!(screaming_snake("Brk"), "BRK");
    }

    #[test]
    fn rendered_header_names_every_abi_value() {
        let header = render();
        assert!(header.contains("TOCK_SYSCALL_SUCCESS_U32_U32_U32 = 132,"));
        assert!(header.contains("TOCK_SYSCALL_CLASS_USERSPACE_READABLE_ALLOW = 7,"));
        assert!(header.contains("RETURNCODE_ENODEVICE = -11,"));
        assert!(header.contains("TOCK_MEMOP_HEAP_START_HINT = 11,"));
        assert!(header.contains("#define DRIVER_NUM_USB_KEYBOARD_HID 0x90005"));
        assert_eq!(
            header.matches("DRIVER_NUM_").count(),
            DriverNumber::ALL.len()
        );
    }

    /// The checked-in header is what kernel-abi renders today: a change to
    /// either without the other fails here.
    #[test]
    fn checked_in_header_matches_kernel_abi() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(HEADER_PATH);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "reading {}: {error}; regenerate it with \
                 `cargo run -p libtock-c-abi-header -- write`",
                path.display()
            )
        });
        assert!(
            checked_in == render(),
            "{} differs from kernel-abi: regenerate it with \
             `cargo run -p libtock-c-abi-header -- write`",
            path.display()
        );
    }
}
