//! Asks the test driver for every return variant and checks each register
//! arrives intact: the variant's own registers hold its values, and every
//! register it does not use still holds what the app passed in it (as
//! upstream's kernel leaves them; upstream libtock-rs keeps live values
//! there). Then the same for the other classes that return: memop with a
//! Success and a Success-u32, a Failure from a missing driver, and a
//! yield-no-wait with nothing pending. Ends QEMU with 0 if all hold, 1
//! otherwise.
#![no_std]
#![no_main]

use kernel_test_apps::syscall::{raw, raw_yield, Registers};
use kernel_test_apps::test_exit::TEST_DRIVER;
use kernel_test_apps::{app_main, println, test_exit, MemopOperation, ReturnVariant, SyscallClass};

app_main!(main);

/// Values no kernel would write back by chance.
const SENTINELS: [u32; 3] = [0x5e17_1111, 0x5e17_2222, 0x5e17_3333];

/// The registers TRD104 prescribes for `variant` with the probe's values
/// for `seed` (mirrors chip-qemu-virt `probe_values`); the registers the
/// variant does not use must keep what was passed (`passed`).
fn expected(variant: ReturnVariant, seed: u32, passed: Registers) -> Registers {
    let (error, first, second, third) = (seed % 13 + 1, seed, !seed, seed.rotate_left(8));
    let v = variant as u32;
    let [_, a1, a2, a3] = passed;
    match variant {
        ReturnVariant::Failure => [v, error, a2, a3],
        ReturnVariant::FailureU32 => [v, error, first, a3],
        ReturnVariant::FailureU32U32 => [v, error, first, second],
        ReturnVariant::FailureU64 => [v, error, first, second],
        ReturnVariant::Success => [v, a1, a2, a3],
        ReturnVariant::SuccessU32 => [v, first, a2, a3],
        ReturnVariant::SuccessU32U32 => [v, first, second, a3],
        ReturnVariant::SuccessU64 => [v, first, second, a3],
        ReturnVariant::SuccessU32U32U32 => [v, first, second, third],
        ReturnVariant::SuccessU32U64 => [v, third, first, second],
    }
}

fn report(name: &str, actual: Registers, expected: Registers) -> bool {
    let ok = actual == expected;
    let verdict = if ok { "intact" } else { "CORRUPTED" };
    println!("return_variants: {name}: {verdict} {actual:x?}");
    if !ok {
        println!("return_variants:   expected {expected:x?}");
    }
    ok
}

/// Every variant from the test driver's probe (a command: driver, 3,
/// variant, seed).
fn probe_every_variant() -> bool {
    let mut passed = true;
    for (index, variant) in ReturnVariant::ALL.iter().enumerate() {
        let seed = 0x1234_5678u32.wrapping_mul(index as u32 + 1);
        let arguments = [TEST_DRIVER.0, 3, *variant as u32, seed];
        let actual = raw(SyscallClass::Command, arguments);
        let name = variant_name(*variant);
        passed &= report(name, actual, expected(*variant, seed, arguments));
    }
    passed
}

fn variant_name(variant: ReturnVariant) -> &'static str {
    match variant {
        ReturnVariant::Failure => "Failure",
        ReturnVariant::FailureU32 => "FailureU32",
        ReturnVariant::FailureU32U32 => "FailureU32U32",
        ReturnVariant::FailureU64 => "FailureU64",
        ReturnVariant::Success => "Success",
        ReturnVariant::SuccessU32 => "SuccessU32",
        ReturnVariant::SuccessU32U32 => "SuccessU32U32",
        ReturnVariant::SuccessU64 => "SuccessU64",
        ReturnVariant::SuccessU32U32U32 => "SuccessU32U32U32",
        ReturnVariant::SuccessU32U64 => "SuccessU32U64",
    }
}

/// The other classes, each with sentinels in the registers it leaves alone.
fn other_classes() -> bool {
    let [s1, s2, s3] = SENTINELS;
    let mut passed = true;
    // Upstream libtock-rs's start-up: memop 10 (Success), then it reads
    // through a2; a kernel that zeroes a2 faults it.
    let hint = MemopOperation::StackTopHint as u32;
    let actual = raw(SyscallClass::Memop, [hint, 0x8001_0000, s2, s3]);
    passed &= report(
        "memop Success",
        actual,
        [ReturnVariant::Success as u32, 0x8001_0000, s2, s3],
    );
    let start = MemopOperation::MemoryStart as u32;
    let actual = raw(SyscallClass::Memop, [start, s1, s2, s3]);
    let success_u32 = ReturnVariant::SuccessU32 as u32;
    passed &= report("memop SuccessU32", actual, [success_u32, actual[1], s2, s3])
        && actual[0] == success_u32;
    let missing = 0x000d_ead0;
    let actual = raw(SyscallClass::Command, [missing, s1, s2, s3]);
    let nodevice = kernel_test_apps::ErrorCode::NoDevice as u32;
    passed &= report(
        "command Failure (missing driver)",
        actual,
        [ReturnVariant::Failure as u32, nodevice, s2, s3],
    );
    // Nothing pending: the kernel writes no register; a1 is the flag
    // address (0: none), kept as passed.
    let actual = raw_yield(0, [0, s2, s3]);
    passed &= report("yield-no-wait", actual, [0, 0, s2, s3]);
    passed
}

fn main() {
    let mut passed = probe_every_variant();
    passed &= other_classes();
    println!(
        "return_variants: {}",
        if passed {
            "all intact"
        } else {
            "SOME CORRUPTED"
        }
    );
    test_exit::exit_qemu(if passed { 0 } else { 1 })
}
