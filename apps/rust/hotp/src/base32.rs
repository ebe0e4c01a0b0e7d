//! Base32 decoding (RFC 4648 section 6), as authenticator apps show
//! secrets: upper or lower case, optional `=` padding, spaces ignored.

/// Why a base32 text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base32Error {
    /// A character outside `A-Z`, `2-7` (at this byte offset).
    InvalidCharacter(usize),
    /// More decoded bytes than the output holds.
    TooLong,
    /// Leftover bits that are not zero: the text was cut off or mistyped.
    TrailingBits,
}

fn value_of(character: u8) -> Option<u8> {
    match character {
        b'A'..=b'Z' => Some(character - b'A'),
        b'a'..=b'z' => Some(character - b'a'),
        b'2'..=b'7' => Some(character - b'2' + 26),
        _ => None,
    }
}

/// Decodes `text` into `output`; returns the number of bytes written.
pub fn decode(text: &[u8], output: &mut [u8]) -> Result<usize, Base32Error> {
    let (mut buffer, mut bits, mut written) = (0u32, 0u32, 0usize);
    let mut padding = false;
    for (offset, &character) in text.iter().enumerate() {
        if character == b' ' {
            continue;
        }
        if character == b'=' {
            padding = true;
            continue;
        }
        // Data after padding is not base32.
        let value = value_of(character)
            .filter(|_| !padding)
            .ok_or(Base32Error::InvalidCharacter(offset))?;
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            let byte = output.get_mut(written).ok_or(Base32Error::TooLong)?;
            *byte = (buffer >> bits) as u8;
            written += 1;
            buffer &= (1 << bits) - 1;
        }
    }
    if buffer != 0 {
        return Err(Base32Error::TrailingBits);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors_decode() {
        let vectors: [(&[u8], &[u8]); 6] = [
            (b"MY======", b"f"),
            (b"MZXQ====", b"fo"),
            (b"MZXW6===", b"foo"),
            (b"MZXW6YQ=", b"foob"),
            (b"MZXW6YTB", b"fooba"),
            (b"MZXW6YTBOI======", b"foobar"),
        ];
        for (text, expected) in vectors {
            let mut output = [0u8; 8];
            let length = decode(text, &mut output).unwrap();
            assert_eq!(&output[..length], expected);
        }
    }

    #[test]
    fn the_rfc_4226_secret_decodes_in_any_case_and_with_spaces() {
        // "12345678901234567890" in base32.
        let mut output = [0u8; 20];
        let text = b"gezd gnbv gy3t qojq gezd gnbv gy3t qojq";
        assert_eq!(decode(text, &mut output), Ok(20));
        assert_eq!(&output, b"12345678901234567890");
    }

    #[test]
    fn bad_text_is_refused_with_the_reason() {
        let mut output = [0u8; 4];
        assert_eq!(
            decode(b"MZ1W", &mut output),
            Err(Base32Error::InvalidCharacter(2))
        );
        assert_eq!(
            decode(b"MZXW6YTBOI", &mut output),
            Err(Base32Error::TooLong)
        );
        assert_eq!(decode(b"MZ", &mut output), Err(Base32Error::TrailingBits));
        assert_eq!(
            decode(b"MY==MY", &mut output),
            Err(Base32Error::InvalidCharacter(4))
        );
    }
}
