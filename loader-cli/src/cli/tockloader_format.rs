//! Text exactly as tockloader 1.19 prints it, for scripts that parse it:
//! `list -v` (a box per app or padding image, then every TBF header field
//! and the footer's credentials, as its `tbfh.py` formats them) and the
//! hex dump of `read` and `dump-flash-page`.

use anyhow::Result;
use loader_cli::{InstalledApp, Transport};

/// tockloader's `helpers.text_in_box(text, width)`: a three-line box whose
/// right edge is an ASCII bar on the text line (sic).
pub fn text_in_box(text: &str, width: usize) -> String {
    let inner = width - 4;
    let shown = if text.chars().count() > inner {
        format!("{}...", text.chars().take(inner - 3).collect::<String>())
    } else {
        text.to_string()
    };
    let rule = "─".repeat(width - 2);
    format!("┌{rule}┐\n│ {shown:<inner$} |\n└{rule}┘")
}

/// tockloader's `helpers.print_flash`: 16 bytes a line, a gap after the
/// eighth, printable ASCII between bars.
pub fn hex_dump(address: u32, bytes: &[u8]) -> String {
    let mut out = String::new();
    for (index, line) in bytes.chunks(16).enumerate() {
        let mut hex = line
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        if hex.len() >= 26 {
            hex.insert(24, ' ');
        }
        let text: String = line
            .iter()
            .map(|&byte| {
                if byte.is_ascii_graphic() || byte == b' ' {
                    char::from(byte)
                } else {
                    '.'
                }
            })
            .collect();
        let line_address = u64::from(address) + 16 * index as u64;
        out += &format!("{line_address:08x}  {hex:<48}  |{text}|\n");
    }
    out
}

fn u16_at(bytes: &[u8], offset: usize) -> u32 {
    bytes
        .get(offset..offset + 2)
        .map_or(0, |b| u32::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    bytes
        .get(offset..offset + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// One numeric field line: `  name : decimal hex`.
fn number(name: &str, value: u32) -> String {
    format!("  {name:<20}: {value:>10} {value:>#12x}\n")
}

/// A TLV as tockloader's `__str__` prints it, or `None` where tockloader
/// drops it (a known type with the wrong length).
fn tlv_text(kind: u32, body: &[u8]) -> Option<String> {
    let numbers = |title: &str, names: &[&str]| {
        let mut out = format!("TLV: {title} ({kind})\n");
        for (index, name) in names.iter().enumerate() {
            out += &number(name, u32_at(body, 4 * index));
        }
        out
    };
    let text = match (kind, body.len()) {
        (1, 12) => numbers(
            "Main",
            &["init_fn_offset", "protected_size", "minimum_ram_size"],
        ),
        (9, 20) => numbers(
            "Program",
            &[
                "init_fn_offset",
                "protected_size",
                "minimum_ram_size",
                "binary_end_offset",
                "app_version",
            ],
        ),
        (5, 8) => numbers(
            "Fixed Addresses",
            &["fixed_address_ram", "fixed_address_flash"],
        ),
        (10, 4) => numbers("ShortID", &["short_id"]),
        (8, 4) => {
            let (major, minor) = (u16_at(body, 0), u16_at(body, 2));
            format!(
                "TLV: Kernel Version (8)\n  {:<20}: {major}\n  {:<20}: {minor}\n  {:<20}: ^{major}.{minor}\n",
                "kernel_major", "kernel_minor", "kernel version"
            )
        }
        (3, _) => format!(
            "TLV: Package Name (3)\n  {:<20}: {}\n",
            "package_name",
            String::from_utf8_lossy(body)
        ),
        (2, _) => writeable_flash_regions(body),
        (6, _) => permissions(body),
        (7, _) => persistent_storage(body)?,
        (1 | 5 | 8 | 9 | 10, _) => return None,
        _ => {
            let hex: String = body.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("TLV: UNKNOWN ({kind})\n  buffer: {hex}\n")
        }
    };
    Some(text)
}

fn writeable_flash_regions(body: &[u8]) -> String {
    let mut out = "TLV: Writeable Flash Regions (2)\n".to_string();
    for (index, region) in body.chunks_exact(8).enumerate() {
        let (offset, length) = (u32_at(region, 0), u32_at(region, 4));
        out += &format!("  writeable flash region {index}\n");
        out += &format!("    {:<18}: {offset:>8} {offset:>#12x}\n", "offset");
        out += &format!("    {:<18}: {length:>8} {length:>#12x}\n", "length");
    }
    out
}

fn permissions(body: &[u8]) -> String {
    let mut allowed: std::collections::BTreeMap<u32, Vec<u64>> = Default::default();
    for entry in body.get(2..).unwrap_or_default().chunks_exact(16) {
        let (driver, offset) = (u32_at(entry, 0), u64::from(u32_at(entry, 4)));
        let mask = u64::from(u32_at(entry, 8)) | (u64::from(u32_at(entry, 12)) << 32);
        let commands = allowed.entry(driver).or_default();
        commands.extend(
            (0..64)
                .filter(|bit| mask & (1 << bit) != 0)
                .map(|bit| offset * 64 + bit),
        );
    }
    let mut out = "TLV: Permissions (6)\n".to_string();
    for (driver, mut commands) in allowed {
        out += &format!("  Driver Number: {driver:#x}\n");
        commands.sort_unstable();
        for command in commands {
            out += &format!("    Allowed Command: {command} ({command:#x})\n");
        }
    }
    out
}

/// tockloader's Persistent ACL: write ID, then read and modify IDs.
fn persistent_storage(body: &[u8]) -> Option<String> {
    let write_id = u32_at(body, 0);
    let read_count = u16_at(body, 4) as usize;
    let read_ids: Vec<u32> = (0..read_count).map(|i| u32_at(body, 6 + 4 * i)).collect();
    let modify_at = 6 + 4 * read_count;
    let modify_count = u16_at(body, modify_at) as usize;
    let modify_ids: Vec<u32> = (0..modify_count)
        .map(|i| u32_at(body, modify_at + 2 + 4 * i))
        .collect();
    if body.len() < 8 || body.len() < modify_at + 2 + 4 * modify_count {
        return None;
    }
    let mut out = "TLV: Persistent Storage (7)\n".to_string();
    out += &format!("  {:<20}: {write_id:>10} {write_id:>#12x}\n", "Write ID");
    for (title, ids) in [("Read IDs", &read_ids), ("Modify IDs", &modify_ids)] {
        out += &format!("  {:<20}:", format!("{title} ({})", ids.len()));
        for (index, id) in ids.iter().enumerate() {
            if index > 0 {
                out += &format!("  {:<20}:", "");
            }
            out += &format!(" {id:>10} {id:>#12x}\n");
        }
        if ids.is_empty() {
            out += "\n";
        }
    }
    Some(out)
}

/// The label column and the `[offset] [absolute address]` after it.
fn located(first_line: &str, offset: usize, base: u32) -> String {
    // tockloader omits the absolute address when the base is 0 (Python
    // truth of `address`).
    let absolute = if base == 0 {
        String::new()
    } else {
        format!(" [{:<#9x}]", u64::from(base) + offset as u64)
    };
    let offset = format!("[{:<#5x}]", offset);
    format!("{first_line:<48}{offset}{absolute}")
}

/// tockloader's `TBFHeader.to_str_at_address` for a version 2 header.
fn header_text(header: &[u8], address: u32) -> String {
    let header_size = u16_at(header, 2);
    let total_size = u32_at(header, 4);
    let flags = u32_at(header, 8);
    let checksum = u32_at(header, 12);
    let version = format!("{:<22}: {}", "TBF version", u16_at(header, 0));
    let mut out = located(&version, 0, address) + "\n";
    out += &format!(
        "{:<22}: {header_size:>10} {header_size:>#12x}\n",
        "header_size"
    );
    out += &format!(
        "{:<22}: {total_size:>10} {total_size:>#12x}\n",
        "total_size"
    );
    out += &format!("{:<22}:            {checksum:>#12x}\n", "checksum");
    out += &format!("{:<22}: {flags:>10} {flags:>#12x}\n", "flags");
    let yes_no = |bit: u32| if flags & bit != 0 { "Yes" } else { "No" };
    out += &format!("  {:<20}: {}\n", "enabled", yes_no(1));
    out += &format!("  {:<20}: {}\n", "sticky", yes_no(2));
    let mut offset = 16;
    while offset + 4 <= header.len() {
        let kind = u16_at(header, offset);
        let length = u16_at(header, offset + 2) as usize;
        let body = header
            .get(offset + 4..offset + 4 + length)
            .unwrap_or_default();
        if let Some(text) = tlv_text(kind, body) {
            let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
            out += &located(first, offset, address);
            out += "\n";
            out += rest;
        }
        offset += 4 + length.next_multiple_of(4);
    }
    out
}

/// tockloader's footer: every credentials TLV, with its type's name.
fn footer_text(footer: &[u8], address: u32) -> String {
    const NAMES: [&str; 11] = [
        "Reserved",
        "RSA3072KEY",
        "RSA4096KEY",
        "SHA256",
        "SHA384",
        "SHA512",
        "ECDSAP256",
        "HMACSHA256",
        "Unknown",
        "Unknown",
        "RSA2048",
    ];
    let mut tlvs = String::new();
    let (mut offset, mut index, mut size) = (0, 0, 0);
    while offset + 4 <= footer.len() {
        let kind = u16_at(footer, offset);
        let length = u16_at(footer, offset + 2) as usize;
        let body = &footer[(offset + 4).min(footer.len())..];
        if kind == 0x80 && body.len() >= length && length >= 4 {
            let credential = u32_at(body, 0);
            let name = NAMES.get(credential as usize).unwrap_or(&"Unknown");
            let first = format!("Footer TLV: Credentials ({kind})");
            tlvs += &located(&first, index, address);
            tlvs += &format!(
                "\n  Type: {name} ({credential})\n  Length: {}\n",
                length - 4
            );
            if credential == 0xF1 && length == 12 {
                let value = u64::from(u32_at(body, 4)) | (u64::from(u32_at(body, 8)) << 32);
                tlvs += &format!("  Value: {value}\n");
            }
            index += 4 + length;
            size += 4 + length;
        }
        offset += 4 + length;
    }
    let mut out = "Footer\n".to_string();
    out += &format!("{:<22}: {size:>10} {size:>#12x}\n", "  footer_size");
    out + &tlvs
}

/// textwrap.indent: prefix every line that is not blank.
fn indent(text: &str, prefix: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            if line.trim().is_empty() {
                line.to_string()
            } else {
                format!("{prefix}{line}")
            }
        })
        .collect()
}

/// The `info(verbose=True)` block of one image.
fn image_text(transport: &mut dyn Transport, image: &InstalledApp) -> Result<String> {
    let start = transport.read(image.address, 16)?;
    let header_size = (u16_at(&start, 2) as usize).max(16);
    let header = transport.read(image.address, header_size)?;
    let mut out = String::new();
    if !image.is_padding {
        let python_bool = |flag: bool| if flag { "True" } else { "False" };
        out += &format!("Name:                  {}\n", image.name);
        out += &format!("Version:               {}\n", image.version.unwrap_or(0));
        out += &format!("Enabled:               {}\n", python_bool(image.enabled));
        out += &format!("Sticky:                {}\n", python_bool(image.sticky));
    }
    out += &format!("Total Size in Flash:   {} bytes\n", image.total_size);
    out += &format!("Address in Flash:      {:#x}\n", image.address);
    out += &indent(&header_text(&header, image.address), "  ");
    let binary_end = program_binary_end(&header);
    if let Some(end) = binary_end.filter(|end| *end < image.total_size) {
        let footer = transport.read(image.address + end, (image.total_size - end) as usize)?;
        out += "\n";
        out += &indent(&footer_text(&footer, image.address + end), "  ");
    }
    Ok(out)
}

/// The Program TLV's binary end offset, where the header has one.
fn program_binary_end(header: &[u8]) -> Option<u32> {
    let mut offset = 16;
    while offset + 4 <= header.len() {
        let kind = u16_at(header, offset);
        let length = u16_at(header, offset + 2) as usize;
        if kind == 9 && length == 20 {
            return Some(u32_at(header, offset + 4 + 12));
        }
        offset += 4 + length.next_multiple_of(4);
    }
    None
}

/// `list -v` as tockloader 1.19 prints it: apps and padding, in chain order.
pub fn print_verbose_list(transport: &mut dyn Transport, images: &[&InstalledApp]) -> Result<()> {
    let mut out = String::new();
    for (index, image) in images.iter().enumerate() {
        let title = if image.is_padding {
            "Padding".to_string()
        } else {
            format!("App {index}")
        };
        out += &text_in_box(&title, 52);
        out += "\n";
        out += &indent(&image_text(transport, image)?, "  ");
        out += "\n\n";
    }
    println!("{out}");
    Ok(())
}
