//! Asks the test driver for every return variant and checks each register
//! arrives intact. Ends QEMU with 0 if all do, 1 otherwise.
#![no_std]
#![no_main]

use kernel_test_apps::syscall::Registers;
use kernel_test_apps::{app_main, println, test_exit, ReturnVariant};

app_main!(main);

/// The registers TRD104 prescribes for `variant` with the probe's values
/// for `seed` (mirrors chip-qemu-virt `probe_values`). `None` marks a
/// register the variant leaves undefined.
fn expected(variant: ReturnVariant, seed: u32) -> [Option<u32>; 4] {
    let (error, first, second, third) = (seed % 13 + 1, seed, !seed, seed.rotate_left(8));
    let v = Some(variant as u32);
    match variant {
        ReturnVariant::Failure => [v, Some(error), None, None],
        ReturnVariant::FailureU32 => [v, Some(error), Some(first), None],
        ReturnVariant::FailureU32U32 => [v, Some(error), Some(first), Some(second)],
        ReturnVariant::FailureU64 => [v, Some(error), Some(first), Some(second)],
        ReturnVariant::Success => [v, None, None, None],
        ReturnVariant::SuccessU32 => [v, Some(first), None, None],
        ReturnVariant::SuccessU32U32 => [v, Some(first), Some(second), None],
        ReturnVariant::SuccessU64 => [v, Some(first), Some(second), None],
        ReturnVariant::SuccessU32U32U32 => [v, Some(first), Some(second), Some(third)],
        ReturnVariant::SuccessU32U64 => [v, Some(third), Some(first), Some(second)],
    }
}

fn matches(actual: Registers, expected: [Option<u32>; 4]) -> bool {
    actual
        .iter()
        .zip(expected)
        .all(|(value, want)| want.is_none_or(|want| *value == want))
}

fn main() {
    let mut passed = true;
    for (index, variant) in ReturnVariant::ALL.iter().enumerate() {
        let seed = 0x1234_5678u32.wrapping_mul(index as u32 + 1);
        let actual = kernel_test_apps::test_exit::variant_probe(*variant as u32, seed);
        let ok = matches(actual, expected(*variant, seed));
        passed &= ok;
        println!(
            "return_variants: {:?} ({}): {} {:x?}",
            variant,
            *variant as u32,
            if ok { "intact" } else { "CORRUPTED" },
            actual
        );
    }
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
