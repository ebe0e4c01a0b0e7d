//! Writes the seed corpus for the `parse` fuzz target:
//! `cargo run -p tbf --example make_fuzz_seeds -- tbf-tools/tbf/fuzz/corpus/parse`

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tbf-tools/tbf/fuzz/corpus/parse".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "minimal.tbf",
            common::image(common::minimal_header(), &common::binary(32), &[], 0),
        ),
        (
            "every-tlv.tbf",
            common::image(common::every_tlv_header(), &common::binary(64), &[], 16),
        ),
        ("padding.tbf", common::padding_image(64)),
        ("signed.tbf", common::signed_image()),
        (
            "all-digests.tbf",
            tbf::sign::add_credentials(
                &common::image(common::minimal_header(), &common::binary(48), &[], 0),
                &[
                    tbf::sign::CredentialRequest::Sha256,
                    tbf::sign::CredentialRequest::Sha384,
                    tbf::sign::CredentialRequest::Sha512,
                ],
                &tbf::sign::SignOptions::default(),
            )
            .map_err(std::io::Error::other)?
            .image,
        ),
    ];
    for (name, bytes) in seeds {
        tbf::parse(&bytes).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(name), &bytes)?;
        println!("wrote {} ({} bytes)", dir.join(name).display(), bytes.len());
    }
    Ok(())
}
