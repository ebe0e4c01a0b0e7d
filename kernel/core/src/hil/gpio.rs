//! Digital pins.

/// A pin driven by the kernel.
pub trait Output {
    /// Drive high.
    fn set(&self);
    /// Drive low.
    fn clear(&self);
    /// Invert; returns the new level.
    fn toggle(&self) -> bool;
    /// The level being driven.
    fn is_set(&self) -> bool;
}

/// A pin read by the kernel.
pub trait Input {
    /// The current level.
    fn read(&self) -> bool;
}

/// Which edges raise an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterruptEdge {
    /// Low to high.
    RisingEdge,
    /// High to low.
    FallingEdge,
    /// Both.
    EitherEdge,
}

/// Told when a pin interrupt fires.
pub trait InterruptClient {
    /// The pin registered with `identifier` changed as configured.
    fn fired(&self, identifier: usize);
}

/// An input pin that can interrupt.
pub trait InterruptPin<'a>: Input {
    /// Who is told, and the identifier passed to it (so one client can
    /// serve many pins).
    fn set_client(&self, client: &'a dyn InterruptClient, identifier: usize);
    /// Interrupt on `edge`.
    fn enable_interrupts(&self, edge: InterruptEdge);
    /// Stop interrupting.
    fn disable_interrupts(&self);
}

/// Whether a pressed button or lit LED reads high or low.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationMode {
    /// Active when high.
    ActiveHigh,
    /// Active when low.
    ActiveLow,
}
