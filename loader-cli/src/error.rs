//! Every way an operation fails, with where and what to do next.

use thiserror::Error;

/// A loader failure. Each message says what failed, where, and what to try.
#[derive(Debug, Error)]
pub enum LoaderError {
    /// The flash file cannot be opened, read or written.
    #[error("flash file {path}: {source}; check the path and its permissions")]
    FlashFile {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An address outside the device's flash.
    #[error("{device}: address {address:#x} (+{length} bytes) is outside flash {start:#x}..{end:#x}; check --app-address and --board")]
    OutOfFlash {
        /// The device.
        device: String,
        /// The first byte asked for.
        address: u64,
        /// How many bytes.
        length: usize,
        /// Flash start.
        start: u64,
        /// Flash end.
        end: u64,
    },
    /// A write was cut off (link lost, device reset, or a simulated fault).
    #[error("{device}: write at {address:#x} failed: {reason}; the apps that were installed before are intact, run the command again")]
    WriteFailed {
        /// The device.
        device: String,
        /// Where.
        address: u32,
        /// Why.
        reason: String,
    },
    /// The serial port or socket failed.
    #[error("{device}: {reason}; check the port name, that nothing else holds it, and that the board is powered and runs its kernel (with the loader service) or its bootloader")]
    Link {
        /// The port.
        device: String,
        /// What happened.
        reason: String,
    },
    /// The device answered something unexpected.
    #[error("{device}: {command} answered {answer}; {hint}")]
    Protocol {
        /// The port.
        device: String,
        /// The command sent.
        command: String,
        /// What came back.
        answer: String,
        /// What to do.
        hint: String,
    },
    /// Flash read back differs from what was written.
    #[error("{device}: verification failed at {address:#x}: {detail}; the device may have a bad flash page, run the command again")]
    VerifyFailed {
        /// The port.
        device: String,
        /// Where.
        address: u32,
        /// CRCs or bytes.
        detail: String,
    },
    /// An input file is unreadable or malformed.
    #[error("{path}: {reason}")]
    Input {
        /// The file.
        path: String,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// The flash holds a chain that is not valid TBF.
    #[error("{device}: the app at {address:#x} is not a valid TBF ({reason}); run `loader erase-apps` to start over, or `list -v` to see the chain")]
    CorruptChain {
        /// The device.
        device: String,
        /// Where.
        address: u32,
        /// Why.
        reason: String,
    },
    /// No image in a TAB suits the board.
    #[error("{path}: no image for architecture `{arch}` (the TAB has: {available}); pass --arch or build the app for {arch}")]
    WrongArchitecture {
        /// The TAB.
        path: String,
        /// Wanted.
        arch: String,
        /// What it holds.
        available: String,
    },
    /// The apps do not fit.
    #[error("the apps do not fit: {reason}; uninstall an app or build smaller ones")]
    NoSpace {
        /// Details.
        reason: String,
    },
    /// Every build of a fixed-address app is linked outside the board's
    /// app flash.
    #[error("app `{name}` is linked for flash at {linked}, outside this board's app flash {start:#x}..{end:#x}; rebuild it for this board (its linker script's flash origin)")]
    LinkedOutsideAppFlash {
        /// The app.
        name: String,
        /// The addresses its builds are linked for.
        linked: String,
        /// App flash start.
        start: u32,
        /// App flash end.
        end: u64,
    },
    /// A write the board's app flash does not hold.
    #[error("refused to write {length} bytes at {address:#x}: app flash is {start:#x}..{end:#x}, and the write would overwrite {overwritten}; nothing was written. Uninstall apps to make room or check --board and --app-address")]
    OutsideAppFlash {
        /// Where.
        address: u32,
        /// How many bytes.
        length: usize,
        /// App flash start.
        start: u32,
        /// App flash end.
        end: u64,
        /// What lies there.
        overwritten: String,
    },
    /// A board setting is missing.
    #[error("unknown {what}: {hint}")]
    Configuration {
        /// The setting.
        what: String,
        /// How to give it.
        hint: String,
    },
    /// No app with this name.
    #[error("no app named {names} on {device}; `loader list` shows the installed apps")]
    NoSuchApp {
        /// The names asked for.
        names: String,
        /// The device.
        device: String,
    },
    /// Nothing to do (tockloader reports this as an error too).
    #[error("{0}")]
    NothingToDo(String),
    /// The operation would invalidate a signature.
    #[error("{0}")]
    Refused(String),
}

/// Result with [`LoaderError`].
pub type LoaderResult<T> = Result<T, LoaderError>;
