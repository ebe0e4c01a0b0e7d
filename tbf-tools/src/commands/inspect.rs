//! `tbf inspect`: every field of a TBF, or of each TBF in a TAB, with the
//! credentials and whether they verify. `--json` prints the same as one
//! JSON document for scripts; offsets and addresses are hex strings.
//!
//! Exit status (docs/packager.md): 0 every image is a well-formed TBF;
//! 1 the file is not a TBF or TAB, or an image is malformed (bad header,
//! checksum or footer), and the report says why; 2 the command could not
//! run (unreadable file, bad key, a TAB that is not one).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::{json, Map, Value};
use tbf::{Tbf, Tlv};

use crate::commands::keygen::hex;
use crate::credentials::load_ecdsa_public;
use crate::images::load;
use crate::verification::{check_image, grouped};

/// Exit status: the file is not a well-formed TBF or TAB.
pub const EXIT_MALFORMED: u8 = 1;

/// `0x`-prefixed hex, as every offset and address in the report is.
fn hex_address(value: impl Into<u64>) -> String {
    format!("{:#x}", value.into())
}

/// What a file that is not a TBF is, from its first bytes, to say so.
fn file_kind(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x7fELF") {
        "elf (not a TBF: package it with `tbf pack` first)"
    } else if tbf::parse(bytes).is_ok() {
        "tbf"
    } else {
        "not a TBF or TAB"
    }
}

/// Arguments of `tbf inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// ECDSA P-256 public key to check signatures with.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Print one JSON document (errors too) instead of text.
    #[arg(long)]
    pub json: bool,
    /// A .tbf image or a .tab bundle.
    pub file: PathBuf,
}

fn describe_tlv(tlv: &Tlv) -> (String, Value) {
    match tlv {
        Tlv::Main(main) => (
            "main".into(),
            json!({
                "init_fn_offset": main.init_fn_offset,
                "protected_size": main.protected_size,
                "minimum_ram_size": main.minimum_ram_size,
            }),
        ),
        Tlv::Program(program) => (
            "program".into(),
            json!({
                "init_fn_offset": program.init_fn_offset,
                "protected_size": program.protected_size,
                "minimum_ram_size": program.minimum_ram_size,
                "binary_end_offset": program.binary_end_offset,
                "app_version": program.app_version,
            }),
        ),
        Tlv::WriteableFlashRegions(regions) => (
            "writeable_flash_regions".into(),
            Value::Array(
                regions
                    .iter()
                    .map(|r| json!({"offset": r.offset, "size": r.size}))
                    .collect(),
            ),
        ),
        Tlv::PackageName(name) => ("package_name".into(), json!(name)),
        Tlv::PicOption1(pic) => (
            "pic_option_1".into(),
            json!({
                "text_offset": pic.text_offset, "data_offset": pic.data_offset, "data_size": pic.data_size,
                "bss_memory_offset": pic.bss_memory_offset, "bss_size": pic.bss_size,
                "relocation_data_offset": pic.relocation_data_offset, "relocation_data_size": pic.relocation_data_size,
            }),
        ),
        Tlv::FixedAddresses(fixed) => (
            "fixed_addresses".into(),
            json!({
                "start_process_ram": fixed.ram().map(|a| format!("{a:#010x}")),
                "start_process_flash": fixed.flash().map(|a| format!("{a:#010x}")),
            }),
        ),
        Tlv::Permissions(list) => (
            "permissions".into(),
            Value::Array(
                list.iter()
                    .map(|p| {
                        json!({
                            "driver_number": format!("{:#x}", p.driver_number),
                            "offset": p.offset,
                            "allowed_commands": format!("{:#018x}", p.allowed_commands),
                        })
                    })
                    .collect(),
            ),
        ),
        Tlv::PersistentAcl(acl) => (
            "storage_permissions".into(),
            json!({
                "write_id": acl.write_id,
                "read_ids": acl.read_ids.iter().collect::<Vec<_>>(),
                "access_ids": acl.access_ids.iter().collect::<Vec<_>>(),
            }),
        ),
        Tlv::KernelVersion(version) => (
            "kernel_version".into(),
            json!(format!("^{}.{}", version.major, version.minor)),
        ),
        Tlv::ShortId(id) => ("short_id".into(), json!(format!("{id:#010x}"))),
        Tlv::Unknown { tlv_type, value } => (format!("unknown_tlv_{tlv_type}"), json!(hex(value))),
    }
}

fn describe_header(tbf: &Tbf) -> Value {
    let base = tbf.base();
    let tlvs: Vec<Value> = tbf
        .tlvs()
        .map(|entry| {
            let (name, value) = describe_tlv(&entry.tlv);
            json!({"type": name, "offset": hex_address(entry.offset as u64), "value": value})
        })
        .collect();
    json!({
        "version": base.version,
        "header_size": base.header_size,
        "total_size": base.total_size,
        "flags": format!("{:#x}", base.flags),
        "enabled": tbf.enabled(),
        "sticky": tbf.sticky(),
        "checksum": format!("{:#010x}", base.checksum),
        "padding_app": tbf.is_padding(),
        "protected_region_size": u32::from(base.header_size) + tbf.protected_size(),
        "binary_end_offset": hex_address(tbf.binary_end_offset()),
        "footer_size": base.total_size.saturating_sub(tbf.binary_end_offset()),
        "tlvs": tlvs,
    })
}

/// Describes one image as JSON.
pub fn describe_image(name: &str, bytes: &[u8], key: Option<&p256::ecdsa::VerifyingKey>) -> Value {
    let report = check_image(bytes, key);
    let mut object = Map::new();
    object.insert("name".into(), json!(name));
    object.insert("file_size".into(), json!(bytes.len()));
    if let Ok(tbf) = tbf::parse(bytes) {
        object.insert("header".into(), describe_header(&tbf));
    }
    if let Some(error) = &report.error {
        object.insert("error".into(), json!(error));
    }
    // A run of Reserved credentials (large padding) is one entry with its
    // count: hundreds of identical lines say nothing.
    let credentials: Vec<Value> = grouped(&report.credentials)
        .into_iter()
        .map(|(c, count, length)| {
            let mut entry = json!({
                "format": c.format.name(),
                "offset": hex_address(c.offset as u64),
                "length": length,
                "data": if c.data.iter().all(|b| *b == 0) { Value::Null } else { json!(hex(&c.data)) },
                "verdict": c.verdict.name(),
            });
            if count > 1 {
                entry["count"] = json!(count);
            }
            entry
        })
        .collect();
    object.insert("credentials".into(), Value::Array(credentials));
    object.insert(
        "credentials_ok".into(),
        json!(!report.failed() && report.any_verified()),
    );
    Value::Object(object)
}

fn render_text(value: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        render_text(value, indent + 1, out);
                    }
                    Value::String(text) if text.contains('\n') => {
                        out.push_str(&format!("{pad}{key}: |\n"));
                        for line in text.lines() {
                            out.push_str(&format!("{pad}  {line}\n"));
                        }
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(value))),
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                out.push_str(&format!("{pad}[{index}]\n"));
                render_text(item, indent + 1, out);
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// Runs `tbf inspect`; the exit status says whether every image is a
/// well-formed TBF.
pub fn run(args: &InspectArgs) -> Result<ExitCode> {
    let key = args.key.as_deref().map(load_ecdsa_public).transpose()?;
    let file = load(&args.file)?;
    let images: Vec<Value> = file
        .images
        .iter()
        .map(|image| describe_image(&image.name, &image.bytes, key.as_ref()))
        .collect();
    let malformed = images.iter().any(|image| image.get("error").is_some());
    let kind = match (&file.tab_metadata, file.images.first()) {
        (Some(_), _) => "tab",
        (None, Some(image)) => file_kind(&image.bytes),
        (None, None) => "not a TBF or TAB",
    };
    let document = json!({
        "file": args.file.display().to_string(),
        "kind": kind,
        "tab_metadata": file.tab_metadata,
        "images": images,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        let mut text = String::new();
        render_text(&document, 0, &mut text);
        print!("{text}");
    }
    if malformed {
        eprintln!(
            "error: {} is not a well-formed TBF or TAB (see `error` above)",
            args.file.display()
        );
        return Ok(ExitCode::from(EXIT_MALFORMED));
    }
    Ok(ExitCode::SUCCESS)
}
