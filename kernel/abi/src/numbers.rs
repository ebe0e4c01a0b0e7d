//! Syscall classes, yield kinds, memop operations, exit kinds and return
//! variants (TRD104 §3, §4).

/// Generates a `#[repr(u32)]` enum with a fallible conversion from `u32`.
macro_rules! abi_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)*
        }

        impl $name {
            /// Every value, in numeric order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value for `raw`, or `None` if the ABI defines none.
            pub const fn from_u32(raw: u32) -> Option<Self> {
                match raw {
                    $($value => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> u32 {
                value as u32
            }
        }

        impl TryFrom<u32> for $name {
            type Error = u32;
            fn try_from(raw: u32) -> Result<Self, u32> {
                Self::from_u32(raw).ok_or(raw)
            }
        }
    };
}

abi_enum! {
    /// The system-call class: `a4` on RISC-V, the `svc` immediate on Arm.
    SyscallClass {
        Yield = 0,
        Subscribe = 1,
        Command = 2,
        ReadWriteAllow = 3,
        ReadOnlyAllow = 4,
        Memop = 5,
        Exit = 6,
        UserspaceReadableAllow = 7,
    }
}

abi_enum! {
    /// The first argument of a yield.
    YieldKind {
        /// Run one pending upcall if there is one; never block. The second
        /// argument is the address of a byte the kernel sets to 1 if an
        /// upcall ran and 0 if not (or 0, for no report).
        NoWait = 0,
        /// Block until an upcall runs.
        Wait = 1,
        /// Block until the upcall of (driver, subscribe number) would run;
        /// its three arguments are returned instead of calling it.
        WaitFor = 2,
    }
}

abi_enum! {
    /// The first argument of a memop.
    MemopOperation {
        /// Set the break to the address in the second argument.
        Brk = 0,
        /// Move the break by the signed amount in the second argument;
        /// returns the old break.
        Sbrk = 1,
        /// Start of the process's RAM.
        MemoryStart = 2,
        /// End of the process's whole RAM region (grant region included).
        MemoryEnd = 3,
        /// Start of the process's flash (its TBF header).
        FlashStart = 4,
        /// End of the process's flash.
        FlashEnd = 5,
        /// Lowest address of the kernel-owned grant region.
        GrantStart = 6,
        /// Number of writeable flash regions in the TBF header.
        WriteableFlashRegionCount = 7,
        /// Start of writeable flash region number (second argument).
        WriteableFlashRegionStart = 8,
        /// End of writeable flash region number (second argument).
        WriteableFlashRegionEnd = 9,
        /// Hint from the process: the top of its stack (for debugging).
        StackTopHint = 10,
        /// Hint from the process: the start of its heap (for debugging).
        HeapStartHint = 11,
    }
}

abi_enum! {
    /// The first argument of an exit.
    ExitKind {
        /// Stop the process for good; the second argument is its status.
        Terminate = 0,
        /// Stop and start the process again from its entry point.
        Restart = 1,
    }
}

abi_enum! {
    /// The value in the first return register, saying how to read the rest.
    ReturnVariant {
        /// `a1` = error code.
        Failure = 0,
        /// `a1` = error code, `a2` = value.
        FailureU32 = 1,
        /// `a1` = error code, `a2`, `a3` = values.
        FailureU32U32 = 2,
        /// `a1` = error code, `a2` = low word, `a3` = high word.
        FailureU64 = 3,
        /// Nothing else.
        Success = 128,
        /// `a1` = value.
        SuccessU32 = 129,
        /// `a1`, `a2` = values.
        SuccessU32U32 = 130,
        /// `a1` = low word, `a2` = high word.
        SuccessU64 = 131,
        /// `a1`, `a2`, `a3` = values.
        SuccessU32U32U32 = 132,
        /// `a1` = value, `a2` = low word, `a3` = high word.
        SuccessU32U64 = 133,
    }
}

impl ReturnVariant {
    /// True for the success variants (128 and above).
    pub const fn is_success(self) -> bool {
        self as u32 >= 128
    }

    /// How many of `a0..a3` (`r0..r3`) a return of this variant writes,
    /// the variant itself in `a0` included. The kernel leaves the others
    /// as the process had them: upstream's kernel does, and upstream
    /// libtock-rs keeps live values there (its wrappers name only the used
    /// registers as outputs).
    pub const fn registers_written(self) -> usize {
        match self {
            ReturnVariant::Failure | ReturnVariant::SuccessU32 => 2,
            ReturnVariant::Success => 1,
            ReturnVariant::FailureU32
            | ReturnVariant::SuccessU32U32
            | ReturnVariant::SuccessU64 => 3,
            ReturnVariant::FailureU32U32
            | ReturnVariant::FailureU64
            | ReturnVariant::SuccessU32U32U32
            | ReturnVariant::SuccessU32U64 => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        for class in SyscallClass::ALL {
            assert_eq!(SyscallClass::from_u32(u32::from(*class)), Some(*class));
        }
        for variant in ReturnVariant::ALL {
            assert_eq!(ReturnVariant::try_from(*variant as u32), Ok(*variant));
        }
        assert_eq!(SyscallClass::from_u32(8), None);
        assert_eq!(MemopOperation::from_u32(12), None);
        assert_eq!(YieldKind::try_from(3), Err(3));
    }

    #[test]
    fn success_variants_are_the_high_ones() {
        assert!(!ReturnVariant::FailureU64.is_success());
        assert!(ReturnVariant::Success.is_success());
        assert_eq!(ReturnVariant::SuccessU32U64 as u32, 133);
    }

    #[test]
    fn each_variant_writes_its_values_and_no_more() {
        use ReturnVariant as V;
        let written = |variant: V| variant.registers_written();
        assert_eq!(written(V::Success), 1);
        assert_eq!(written(V::Failure), 2);
        assert_eq!(written(V::SuccessU32), 2);
        assert_eq!(written(V::FailureU32), 3);
        assert_eq!(written(V::SuccessU32U32), 3);
        assert_eq!(written(V::SuccessU64), 3);
        for variant in [
            V::FailureU32U32,
            V::FailureU64,
            V::SuccessU32U32U32,
            V::SuccessU32U64,
        ] {
            assert_eq!(written(variant), 4);
        }
    }
}
