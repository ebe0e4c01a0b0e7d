//! Reading the log back: each record is checked (header, entry structure,
//! CRC) before any of it is used, since storage may hold anything.

use crate::format::{
    decode_record_header, decode_tag, RecordHeader, CRC, INSERT_ENTRY_BYTES, MAX_UPDATES,
    RECORD_CRC_BYTES, RECORD_HEADER_BYTES, REMOVE_ENTRY_BYTES,
};
use crate::io::Reader;
use crate::{Storage, StoreError, MAX_VALUE_BYTES};

/// One entry: its key, and the offset and length of an inserted value
/// (`None` for a removal).
pub(crate) type RecordEntry = (u16, Option<(usize, usize)>);

/// A valid record: its entries, and where the next record starts.
pub(crate) struct Record {
    entries: [RecordEntry; MAX_UPDATES],
    count: usize,
    pub end: usize,
}

impl Record {
    pub fn entries(&self) -> &[RecordEntry] {
        &self.entries[..self.count]
    }
}

/// The valid record at `position` (which must end by `end`, the bank's
/// end), or `None` if the log ends there: erased, torn, or failing any
/// check. Entries are parsed before the CRC is checked over the whole
/// record, so the read-ahead window mostly moves forward.
pub(crate) fn read_record<S: Storage>(
    storage: &mut S,
    reader: &mut Reader,
    position: usize,
    end: usize,
) -> Result<Option<Record>, StoreError> {
    if position + RECORD_HEADER_BYTES + RECORD_CRC_BYTES > end {
        return Ok(None);
    }
    let mut header = [0; RECORD_HEADER_BYTES];
    reader.read(storage, position, end, &mut header)?;
    let RecordHeader::Updates { body_bytes } = decode_record_header(header) else {
        return Ok(None);
    };
    let body_end = position + RECORD_HEADER_BYTES + body_bytes;
    let record_end = body_end + RECORD_CRC_BYTES;
    if record_end > end {
        return Ok(None);
    }
    let Some(mut record) = read_entries(
        storage,
        reader,
        position + RECORD_HEADER_BYTES,
        body_end,
        end,
    )?
    else {
        return Ok(None);
    };
    let mut digest = CRC.digest();
    reader.visit(storage, position, body_end - position, end, |piece| {
        digest.update(piece)
    })?;
    let mut stored = [0; RECORD_CRC_BYTES];
    reader.read(storage, body_end, end, &mut stored)?;
    if digest.finalize() != u32::from_le_bytes(stored) {
        return Ok(None);
    }
    record.end = record_end;
    Ok(Some(record))
}

/// The entries of the record body `start..body_end`, or `None` if it is
/// malformed: no entry, more than [`MAX_UPDATES`], a bad tag, a value over
/// [`MAX_VALUE_BYTES`], or entries not filling the body exactly.
fn read_entries<S: Storage>(
    storage: &mut S,
    reader: &mut Reader,
    start: usize,
    body_end: usize,
    end: usize,
) -> Result<Option<Record>, StoreError> {
    let mut record = Record {
        entries: [(0, None); MAX_UPDATES],
        count: 0,
        end: 0,
    };
    let mut position = start;
    while position < body_end {
        if record.count == MAX_UPDATES || position + REMOVE_ENTRY_BYTES > body_end {
            return Ok(None);
        }
        let mut tag = [0; 2];
        reader.read(storage, position, end, &mut tag)?;
        let Some((key, remove)) = decode_tag(tag) else {
            return Ok(None);
        };
        let value = if remove {
            position += REMOVE_ENTRY_BYTES;
            None
        } else {
            if position + INSERT_ENTRY_BYTES > body_end {
                return Ok(None);
            }
            let mut length = [0; 2];
            reader.read(storage, position + 2, end, &mut length)?;
            let length = usize::from(u16::from_le_bytes(length));
            let value_start = position + INSERT_ENTRY_BYTES;
            if length > MAX_VALUE_BYTES || value_start + length > body_end {
                return Ok(None);
            }
            position = value_start + length;
            Some((value_start, length))
        };
        record.entries[record.count] = (key, value);
        record.count += 1;
    }
    Ok((record.count > 0).then_some(record))
}
