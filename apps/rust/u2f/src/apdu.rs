//! ISO 7816-4 command APDUs as U2F uses them (FIDO U2F Raw Message
//! Formats section 3): `CLA INS P1 P2`, then the data length either short
//! (one byte) or extended (`00` and two bytes), then the data and an
//! optional expected length.

/// A parsed command APDU; `data` borrows the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Apdu<'a> {
    /// Class byte (U2F uses 0).
    pub class: u8,
    /// Instruction.
    pub instruction: u8,
    /// Parameter 1 (AUTHENTICATE's control byte).
    pub parameter1: u8,
    /// Parameter 2.
    pub parameter2: u8,
    /// The command data.
    pub data: &'a [u8],
}

/// The APDU's lengths do not add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongLength;

/// Parses `message`.
pub fn parse(message: &[u8]) -> Result<Apdu<'_>, WrongLength> {
    let header = message.get(..4).ok_or(WrongLength)?;
    let body = &message[4..];
    let data = match body {
        // No data, no expected length; or a short expected length only.
        [] | [_] => &[][..],
        // Extended: 00 Lc1 Lc2 data [Le1 Le2]; or 00 Le1 Le2 with no data.
        [0, high, low, rest @ ..] => {
            let length = usize::from(u16::from_be_bytes([*high, *low]));
            if rest.is_empty() {
                &[][..]
            } else if rest.len() == length || rest.len() == length + 2 {
                &rest[..length]
            } else {
                return Err(WrongLength);
            }
        }
        // Short: Lc data [Le].
        [length, rest @ ..] => {
            let length = usize::from(*length);
            if rest.len() == length || rest.len() == length + 1 {
                &rest[..length]
            } else {
                return Err(WrongLength);
            }
        }
    };
    Ok(Apdu {
        class: header[0],
        instruction: header[1],
        parameter1: header[2],
        parameter2: header[3],
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_and_short_encodings_parse() {
        // VERSION as python-fido2 sends it: extended, no data, Le 0000.
        let version = parse(&[0, 3, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!((version.instruction, version.data), (3, &[][..]));
        let bare = parse(&[0, 3, 0, 0]).unwrap();
        assert_eq!(bare.data, &[][..]);
        let extended = parse(&[0, 1, 3, 0, 0, 0, 2, 0xaa, 0xbb, 0, 0]).unwrap();
        assert_eq!((extended.parameter1, extended.data), (3, &[0xaa, 0xbb][..]));
        let extended_no_le = parse(&[0, 1, 3, 0, 0, 0, 1, 0xaa]).unwrap();
        assert_eq!(extended_no_le.data, &[0xaa][..]);
        let short = parse(&[0, 2, 7, 0, 2, 0xaa, 0xbb, 0]).unwrap();
        assert_eq!(short.data, &[0xaa, 0xbb][..]);
    }

    #[test]
    fn inconsistent_lengths_are_refused() {
        assert_eq!(parse(&[0, 3, 0]), Err(WrongLength));
        assert_eq!(parse(&[0, 1, 0, 0, 0, 0, 5, 1, 2]), Err(WrongLength));
        assert_eq!(parse(&[0, 1, 0, 0, 3, 1]), Err(WrongLength));
    }
}
