//! Console commands, one per line:
//!
//! ```text
//! set <slot> <base32 secret> [6|7|8] [sha1|sha256]   program a slot (counter 0)
//! select <slot>                                      button 0 emits this slot
//! totp <slot>                                        TOTP code of the slot now
//! delete <slot>                                      forget a slot
//! list                                               slots, digits, counters
//! help
//! ```

use crate::base32::{self, Base32Error};
use crate::code::{MAX_DIGITS, MIN_DIGITS};
use crate::slot::{Algorithm, Slot, MAX_SECRET, SLOT_COUNT};

/// A parsed command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Program `slot` with a fresh secret (counter 0).
    Set {
        /// The slot number.
        slot: usize,
        /// Secret, digits, algorithm.
        value: Slot,
    },
    /// Make `slot` the one button 0 emits.
    Select(usize),
    /// Show and type the slot's TOTP code (RFC 6238) at the clock's time.
    Totp(usize),
    /// Forget `slot`.
    Delete(usize),
    /// Show every slot.
    List,
    /// Show the commands.
    Help,
    /// An empty line.
    Nothing,
}

/// Why a line was refused (each says what to type instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// The first word is not a command.
    Unknown,
    /// A slot number is missing or not below [`SLOT_COUNT`].
    BadSlot,
    /// The secret is missing.
    MissingSecret,
    /// The secret is not base32.
    BadSecret(Base32Error),
    /// An option is neither a digit count (6..8) nor an algorithm.
    BadOption,
}

impl CommandError {
    /// One line telling the user what went wrong and what to do.
    pub fn message(self) -> &'static str {
        match self {
            CommandError::Unknown => "unknown command: type `help`",
            CommandError::BadSlot => "the slot must be a number from 0 to 3",
            CommandError::MissingSecret => {
                "usage: set <slot> <base32 secret> [6|7|8] [sha1|sha256]"
            }
            CommandError::BadSecret(Base32Error::InvalidCharacter(_)) => {
                "the secret is not base32 (letters A-Z and digits 2-7)"
            }
            CommandError::BadSecret(Base32Error::TooLong) => "the secret is longer than 64 bytes",
            CommandError::BadSecret(Base32Error::TrailingBits) => {
                "the secret's last character does not end on a byte: is it cut off?"
            }
            CommandError::BadOption => "options are a digit count (6, 7, 8) or sha1 / sha256",
        }
    }
}

/// The commands, for `help`.
pub const HELP: &str = "commands: set <slot> <base32 secret> [6|7|8] [sha1|sha256]; \
select <slot>; totp <slot>; delete <slot>; list; help";

fn parse_slot(word: Option<&str>) -> Result<usize, CommandError> {
    word.and_then(|word| word.parse::<usize>().ok())
        .filter(|slot| *slot < SLOT_COUNT)
        .ok_or(CommandError::BadSlot)
}

fn parse_set<'a>(mut words: impl Iterator<Item = &'a str>) -> Result<Command, CommandError> {
    let slot = parse_slot(words.next())?;
    let text = words.next().ok_or(CommandError::MissingSecret)?;
    let mut secret = [0u8; MAX_SECRET];
    let length = base32::decode(text.as_bytes(), &mut secret).map_err(CommandError::BadSecret)?;
    let (mut digits, mut algorithm) = (MIN_DIGITS, Algorithm::Sha1);
    for option in words {
        match option {
            "sha1" => algorithm = Algorithm::Sha1,
            "sha256" => algorithm = Algorithm::Sha256,
            _ => {
                digits = option
                    .parse::<u8>()
                    .ok()
                    .filter(|count| (MIN_DIGITS..=MAX_DIGITS).contains(count))
                    .ok_or(CommandError::BadOption)?
            }
        }
    }
    // Only an empty secret can fail here: the decoder bounds its length.
    let value =
        Slot::new(&secret[..length], digits, algorithm, 0).ok_or(CommandError::MissingSecret)?;
    Ok(Command::Set { slot, value })
}

/// Parses one line (without its line ending).
pub fn parse(line: &str) -> Result<Command, CommandError> {
    let mut words = line.split_ascii_whitespace();
    match words.next() {
        None => Ok(Command::Nothing),
        Some("set") => parse_set(words),
        Some("select") => parse_slot(words.next()).map(Command::Select),
        Some("totp") => parse_slot(words.next()).map(Command::Totp),
        Some("delete") => parse_slot(words.next()).map(Command::Delete),
        Some("list") => Ok(Command::List),
        Some("help") => Ok(Command::Help),
        Some(_) => Err(CommandError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_takes_a_slot_a_secret_and_options() {
        let command = parse("set 2 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 8 sha256").unwrap();
        let Command::Set { slot, value } = command else {
            panic!("not a set: {command:?}");
        };
        assert_eq!(slot, 2);
        assert_eq!(value.secret(), b"12345678901234567890");
        assert_eq!((value.digits, value.algorithm), (8, Algorithm::Sha256));
        assert_eq!(value.counter, 0);
        let Ok(Command::Set { value, .. }) = parse("  set 0   MZXW6YTB  ") else {
            panic!("a plain set is refused");
        };
        assert_eq!((value.digits, value.algorithm), (6, Algorithm::Sha1));
    }

    #[test]
    fn other_commands_parse() {
        assert_eq!(parse("select 3"), Ok(Command::Select(3)));
        assert_eq!(parse("totp 1"), Ok(Command::Totp(1)));
        assert_eq!(parse("delete 0"), Ok(Command::Delete(0)));
        assert_eq!(parse("list"), Ok(Command::List));
        assert_eq!(parse("help"), Ok(Command::Help));
        assert_eq!(parse("   "), Ok(Command::Nothing));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        assert_eq!(parse("format"), Err(CommandError::Unknown));
        assert_eq!(parse("select 4"), Err(CommandError::BadSlot));
        assert_eq!(parse("select"), Err(CommandError::BadSlot));
        assert_eq!(parse("totp 4"), Err(CommandError::BadSlot));
        assert_eq!(parse("set 1"), Err(CommandError::MissingSecret));
        assert_eq!(
            parse("set 1 MZXW6YT1"),
            Err(CommandError::BadSecret(Base32Error::InvalidCharacter(7)))
        );
        assert_eq!(parse("set 1 MZXW6YTB 9"), Err(CommandError::BadOption));
        assert_eq!(parse("set 1 MZXW6YTB md5"), Err(CommandError::BadOption));
        for error in [CommandError::Unknown, CommandError::BadOption] {
            assert!(!error.message().is_empty());
        }
    }
}
