//! One machine register crossing the system-call boundary.

/// A register value: pointer-sized, and able to carry a pointer without
/// losing its provenance (so the fake kernel can read allowed buffers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Register(pub *mut ());

impl Register {
    /// The low 32 bits (the whole register on a 32-bit device).
    pub fn as_u32(self) -> u32 {
        self.0 as usize as u32
    }

    /// The register as an address-sized integer.
    pub fn as_usize(self) -> usize {
        self.0 as usize
    }
}

impl From<u32> for Register {
    fn from(value: u32) -> Register {
        Register(value as usize as *mut ())
    }
}

impl From<i32> for Register {
    fn from(value: i32) -> Register {
        Register(value as isize as usize as *mut ())
    }
}

impl From<usize> for Register {
    fn from(value: usize) -> Register {
        Register(value as *mut ())
    }
}

impl<T> From<*const T> for Register {
    fn from(pointer: *const T) -> Register {
        Register(pointer as *mut ())
    }
}

impl<T> From<*mut T> for Register {
    fn from(pointer: *mut T) -> Register {
        Register(pointer as *mut ())
    }
}

impl From<Register> for usize {
    fn from(register: Register) -> usize {
        register.as_usize()
    }
}

impl<T> From<Register> for *const T {
    fn from(register: Register) -> *const T {
        register.0 as *const T
    }
}

impl<T> From<Register> for *mut T {
    fn from(register: Register) -> *mut T {
        register.0 as *mut T
    }
}
