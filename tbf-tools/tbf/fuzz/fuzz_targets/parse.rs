//! Fuzz target `parse`: no input may panic the parser, the footer walk,
//! credential checks, the owned round trip or credential insertion.
//!
//! Run: `cargo +nightly fuzz run parse` in `tbf-tools/tbf/fuzz`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tbf::{Footer, TbfHeader};

fuzz_target!(|data: &[u8]| {
    let _ = tbf::parse_base(data);
    if let Ok(tbf) = tbf::parse_header(data) {
        exercise(&tbf);
    }
    if let Ok(tbf) = tbf::parse(data) {
        exercise(&tbf);
        let region = tbf.integrity_region().unwrap_or_default();
        for footer in tbf.footers() {
            if let Ok(Footer::Credentials(credential)) = footer {
                let _ = credential.check(region, None);
            }
        }
        let _ = tbf::sign::add_credentials(
            data,
            &[tbf::sign::CredentialRequest::Sha256],
            &tbf::sign::SignOptions::default(),
        );
    }
});

fn exercise(tbf: &tbf::Tbf<'_>) {
    let _ = (
        tbf.main(),
        tbf.program(),
        tbf.package_name(),
        tbf.fixed_addresses(),
    );
    let _ = (
        tbf.kernel_version(),
        tbf.short_id(),
        tbf.pic_option1(),
        tbf.is_padding(),
    );
    let _ = (
        tbf.init_fn_offset(),
        tbf.protected_size(),
        tbf.minimum_ram_size(),
    );
    let _ = tbf.writeable_flash_regions().count();
    let _ = tbf.unknown_tlvs().count();
    if let Some(p) = tbf.permissions() {
        let _ = p.allows(1, 1);
    }
    if let Some(acl) = tbf.persistent_acl() {
        let _ = (acl.read_ids.iter().count(), acl.access_ids.iter().count());
    }
    // The owned model must re-serialise whatever parsed; when the header
    // size is unchanged the result must parse back to the same model.
    let owned = TbfHeader::from_parsed(tbf);
    if let Ok(bytes) = owned.to_bytes() {
        if bytes.len() == tbf.header_bytes().len() {
            let reparsed = tbf::parse_header(&bytes).expect("re-serialised header parses");
            assert_eq!(TbfHeader::from_parsed(&reparsed), owned);
        }
    }
}
