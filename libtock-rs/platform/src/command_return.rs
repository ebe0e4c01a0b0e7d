//! The result of a command: one of the ten TRD104 return variants.

use crate::{ErrorCode, ReturnVariant};

/// The error code in a failure's second register. A kernel that returns a
/// number that is no error code is reported as [`ErrorCode::Fail`]: the
/// caller learns that the call failed, never sees an invalid value.
pub(crate) fn error_code_from_kernel(raw: u32) -> ErrorCode {
    ErrorCode::from_u32(raw).unwrap_or(ErrorCode::Fail)
}

/// The four registers a command returns, read through typed accessors.
///
/// ```text
///  variant            r1          r2          r3
///  Failure            error       -           -
///  FailureU32         error       value       -
///  FailureU32U32      error       value       value
///  FailureU64         error       low word    high word
///  Success            -           -           -
///  SuccessU32         value       -           -
///  SuccessU32U32      value       value       -
///  SuccessU64         low word    high word   -
///  SuccessU32U32U32   value       value       value
///  SuccessU32U64      value       low word    high word
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandReturn {
    variant: u32,
    r1: u32,
    r2: u32,
    r3: u32,
}

impl CommandReturn {
    /// Wraps the registers as the kernel returned them.
    pub const fn new(variant: u32, r1: u32, r2: u32, r3: u32) -> Self {
        CommandReturn {
            variant,
            r1,
            r2,
            r3,
        }
    }

    /// A failure with no value (what fake drivers return most often).
    pub fn failure(error: ErrorCode) -> Self {
        Self::new(ReturnVariant::Failure as u32, error as u32, 0, 0)
    }

    /// A failure carrying one value.
    pub fn failure_u32(error: ErrorCode, value: u32) -> Self {
        Self::new(ReturnVariant::FailureU32 as u32, error as u32, value, 0)
    }

    /// A failure carrying two values.
    pub fn failure_2_u32(error: ErrorCode, first: u32, second: u32) -> Self {
        Self::new(
            ReturnVariant::FailureU32U32 as u32,
            error as u32,
            first,
            second,
        )
    }

    /// A failure carrying a 64-bit value.
    pub fn failure_u64(error: ErrorCode, value: u64) -> Self {
        let (low, high) = split_u64(value);
        Self::new(ReturnVariant::FailureU64 as u32, error as u32, low, high)
    }

    /// Success with no value.
    pub fn success() -> Self {
        Self::new(ReturnVariant::Success as u32, 0, 0, 0)
    }

    /// Success with one value.
    pub fn success_u32(value: u32) -> Self {
        Self::new(ReturnVariant::SuccessU32 as u32, value, 0, 0)
    }

    /// Success with two values.
    pub fn success_2_u32(first: u32, second: u32) -> Self {
        Self::new(ReturnVariant::SuccessU32U32 as u32, first, second, 0)
    }

    /// Success with a 64-bit value.
    pub fn success_u64(value: u64) -> Self {
        let (low, high) = split_u64(value);
        Self::new(ReturnVariant::SuccessU64 as u32, low, high, 0)
    }

    /// Success with three values.
    pub fn success_3_u32(first: u32, second: u32, third: u32) -> Self {
        Self::new(ReturnVariant::SuccessU32U32U32 as u32, first, second, third)
    }

    /// Success with a value and a 64-bit value.
    pub fn success_u32_u64(first: u32, second: u64) -> Self {
        let (low, high) = split_u64(second);
        Self::new(ReturnVariant::SuccessU32U64 as u32, first, low, high)
    }

    /// The return variant, or `None` if the kernel returned an undefined one.
    pub fn return_variant(&self) -> Option<ReturnVariant> {
        ReturnVariant::from_u32(self.variant)
    }

    /// The raw registers `(r0, r1, r2, r3)`.
    pub fn raw(&self) -> (u32, u32, u32, u32) {
        (self.variant, self.r1, self.r2, self.r3)
    }

    /// True for every failure variant. An undefined variant also counts as
    /// a failure: nothing it carries can be trusted.
    pub fn is_failure(&self) -> bool {
        !self.is_success_any()
    }

    /// True for every success variant.
    pub fn is_success_any(&self) -> bool {
        // Equivalent to decoding the variant and asking `is_success`, in a
        // few instructions.
        (ReturnVariant::Success as u32..=ReturnVariant::SuccessU32U64 as u32)
            .contains(&self.variant)
    }

    fn is(&self, variant: ReturnVariant) -> bool {
        self.variant == variant as u32
    }

    /// The error code of any failure variant.
    pub fn get_failure_any(&self) -> Option<ErrorCode> {
        self.is_failure().then(|| error_code_from_kernel(self.r1))
    }

    /// The error code, if this is `Failure`.
    pub fn get_failure(&self) -> Option<ErrorCode> {
        self.is(ReturnVariant::Failure)
            .then(|| error_code_from_kernel(self.r1))
    }

    /// The error code and value, if this is `FailureU32`.
    pub fn get_failure_u32(&self) -> Option<(ErrorCode, u32)> {
        self.is(ReturnVariant::FailureU32)
            .then(|| (error_code_from_kernel(self.r1), self.r2))
    }

    /// The error code and values, if this is `FailureU32U32`.
    pub fn get_failure_2_u32(&self) -> Option<(ErrorCode, u32, u32)> {
        self.is(ReturnVariant::FailureU32U32)
            .then(|| (error_code_from_kernel(self.r1), self.r2, self.r3))
    }

    /// The error code and 64-bit value, if this is `FailureU64`.
    pub fn get_failure_u64(&self) -> Option<(ErrorCode, u64)> {
        self.is(ReturnVariant::FailureU64)
            .then(|| (error_code_from_kernel(self.r1), join_u64(self.r2, self.r3)))
    }

    /// True if this is `Success`.
    pub fn is_success(&self) -> bool {
        self.is(ReturnVariant::Success)
    }

    /// The value, if this is `SuccessU32`.
    pub fn get_success_u32(&self) -> Option<u32> {
        self.is(ReturnVariant::SuccessU32).then_some(self.r1)
    }

    /// The values, if this is `SuccessU32U32`.
    pub fn get_success_2_u32(&self) -> Option<(u32, u32)> {
        self.is(ReturnVariant::SuccessU32U32)
            .then_some((self.r1, self.r2))
    }

    /// The value, if this is `SuccessU64`.
    pub fn get_success_u64(&self) -> Option<u64> {
        self.is(ReturnVariant::SuccessU64)
            .then(|| join_u64(self.r1, self.r2))
    }

    /// The values, if this is `SuccessU32U32U32`.
    pub fn get_success_3_u32(&self) -> Option<(u32, u32, u32)> {
        self.is(ReturnVariant::SuccessU32U32U32)
            .then_some((self.r1, self.r2, self.r3))
    }

    /// The values, if this is `SuccessU32U64`.
    pub fn get_success_u32_u64(&self) -> Option<(u32, u64)> {
        self.is(ReturnVariant::SuccessU32U64)
            .then(|| (self.r1, join_u64(self.r2, self.r3)))
    }

    /// The success value of type `T`, or the error of any failure.
    ///
    /// A success of a different variant than `T` expects means the driver
    /// does not speak the interface this library was written for: it is
    /// reported as [`ErrorCode::NoSupport`].
    pub fn to_result<T: SuccessData>(self) -> Result<T, ErrorCode> {
        if let Some(error) = self.get_failure_any() {
            return Err(error);
        }
        T::from_return(&self).ok_or(ErrorCode::NoSupport)
    }
}

/// A type that one success variant carries (used by [`CommandReturn::to_result`]).
pub trait SuccessData: Sized {
    /// The value, if `command_return` is this type's variant.
    fn from_return(command_return: &CommandReturn) -> Option<Self>;
}

impl SuccessData for () {
    fn from_return(command_return: &CommandReturn) -> Option<Self> {
        command_return.is_success().then_some(())
    }
}

impl SuccessData for u32 {
    fn from_return(command_return: &CommandReturn) -> Option<Self> {
        command_return.get_success_u32()
    }
}

impl SuccessData for (u32, u32) {
    fn from_return(command_return: &CommandReturn) -> Option<Self> {
        command_return.get_success_2_u32()
    }
}

impl SuccessData for u64 {
    fn from_return(command_return: &CommandReturn) -> Option<Self> {
        command_return.get_success_u64()
    }
}

impl SuccessData for (u32, u32, u32) {
    fn from_return(command_return: &CommandReturn) -> Option<Self> {
        command_return.get_success_3_u32()
    }
}

impl SuccessData for (u32, u64) {
    fn from_return(command_return: &CommandReturn) -> Option<Self> {
        command_return.get_success_u32_u64()
    }
}

fn split_u64(value: u64) -> (u32, u32) {
    (value as u32, (value >> 32) as u32)
}

fn join_u64(low: u32, high: u32) -> u64 {
    u64::from(low) | (u64::from(high) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_reads_back_only_through_its_own_accessor() {
        let cases = [
            CommandReturn::failure(ErrorCode::Busy),
            CommandReturn::failure_u32(ErrorCode::Size, 7),
            CommandReturn::failure_2_u32(ErrorCode::Inval, 1, 2),
            CommandReturn::failure_u64(ErrorCode::NoMem, 0x1_0000_0002),
            CommandReturn::success(),
            CommandReturn::success_u32(5),
            CommandReturn::success_2_u32(5, 6),
            CommandReturn::success_u64(0x3_0000_0004),
            CommandReturn::success_3_u32(1, 2, 3),
            CommandReturn::success_u32_u64(9, 0x5_0000_0006),
        ];
        for (index, case) in cases.iter().enumerate() {
            assert_eq!(case.get_failure().is_some(), index == 0);
            assert_eq!(case.get_failure_u32().is_some(), index == 1);
            assert_eq!(case.get_failure_2_u32().is_some(), index == 2);
            assert_eq!(case.get_failure_u64().is_some(), index == 3);
            assert_eq!(case.is_success(), index == 4);
            assert_eq!(case.get_success_u32().is_some(), index == 5);
            assert_eq!(case.get_success_2_u32().is_some(), index == 6);
            assert_eq!(case.get_success_u64().is_some(), index == 7);
            assert_eq!(case.get_success_3_u32().is_some(), index == 8);
            assert_eq!(case.get_success_u32_u64().is_some(), index == 9);
            assert_eq!(case.is_failure(), index < 4);
        }
        assert_eq!(
            cases[3].get_failure_u64(),
            Some((ErrorCode::NoMem, 0x1_0000_0002))
        );
        assert_eq!(cases[9].get_success_u32_u64(), Some((9, 0x5_0000_0006)));
    }

    #[test]
    fn to_result_reports_failures_and_mismatched_variants() {
        assert_eq!(CommandReturn::success_u32(3).to_result::<u32>(), Ok(3));
        assert_eq!(
            CommandReturn::failure_u32(ErrorCode::Busy, 1).to_result::<u32>(),
            Err(ErrorCode::Busy)
        );
        assert_eq!(
            CommandReturn::success().to_result::<u32>(),
            Err(ErrorCode::NoSupport)
        );
        assert_eq!(CommandReturn::success().to_result::<()>(), Ok(()));
    }

    #[test]
    fn undefined_values_from_the_kernel_are_failures() {
        let undefined_variant = CommandReturn::new(77, 3, 0, 0);
        assert!(undefined_variant.is_failure());
        assert_eq!(undefined_variant.return_variant(), None);
        let undefined_error = CommandReturn::new(0, 999, 0, 0);
        assert_eq!(undefined_error.get_failure(), Some(ErrorCode::Fail));
    }
}
