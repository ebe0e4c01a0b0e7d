//! Signers that keep the private key elsewhere: a PKCS#11 token (an HSM,
//! a smart card, SoftHSM2) and an outside command (a cloud KMS client).
//!
//! Both sign the SHA-256 digest of the integrity region with ECDSA P-256
//! and hand back `r || s` (64 bytes, the TBF footer form); `tbf::sign`
//! checks that it verifies with the signer's public key before anything is
//! written. Neither ever sees a PIN on the command line: the PIN comes from
//! `TBF_PKCS11_PIN` or a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use p256::ecdsa::{Signature, VerifyingKey};

/// The environment variable holding the token's user PIN.
pub const PIN_VARIABLE: &str = "TBF_PKCS11_PIN";

/// Where the digest is also given to a signer command, as hex.
pub const DIGEST_VARIABLE: &str = "TBF_DIGEST_HEX";

/// A logged-in session on a PKCS#11 token with the signing key found.
pub struct TokenSigner {
    session: Session,
    private_key: ObjectHandle,
    public_key: VerifyingKey,
    description: String,
}

/// Where to find a key in a PKCS#11 token.
pub struct TokenKey<'a> {
    /// The PKCS#11 module (shared library), e.g. SoftHSM2's `libsofthsm2.so`.
    pub module: &'a Path,
    /// The token's label.
    pub token: &'a str,
    /// The key's label (`CKA_LABEL`, the same on the private and public key).
    pub key: &'a str,
    /// A file holding the PIN; otherwise `TBF_PKCS11_PIN`.
    pub pin_file: Option<&'a Path>,
}

fn read_pin(pin_file: Option<&Path>) -> Result<AuthPin> {
    let pin = match pin_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the PIN file {}", path.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        None => std::env::var(PIN_VARIABLE).map_err(|_| {
            anyhow::anyhow!(
                "no PIN for the PKCS#11 token: set {PIN_VARIABLE} or pass --pin-file FILE \
                 (a PIN is never taken on the command line)"
            )
        })?,
    };
    Ok(AuthPin::from(pin))
}

fn one_object(session: &Session, template: &[Attribute], what: &str) -> Result<ObjectHandle> {
    let found = session
        .find_objects(template)
        .with_context(|| format!("searching the token for the {what}"))?;
    match found.as_slice() {
        [one] => Ok(*one),
        [] => bail!("the token has no {what}: check the label (`pkcs11-tool --list-objects`)"),
        _ => bail!(
            "the token has {} objects that could be the {what}: give the key a unique label",
            found.len()
        ),
    }
}

/// The P-256 point of a public key object: `CKA_EC_POINT` holds the SEC1
/// point, wrapped in a DER OCTET STRING by most modules (SoftHSM2 too).
fn public_key_of(session: &Session, handle: ObjectHandle) -> Result<VerifyingKey> {
    let attributes = session
        .get_attributes(handle, &[AttributeType::EcPoint])
        .context("reading the public key's CKA_EC_POINT")?;
    let Some(Attribute::EcPoint(point)) = attributes.into_iter().next() else {
        bail!("the token's public key has no CKA_EC_POINT: is it an EC key?");
    };
    let sec1 = match point.as_slice() {
        [0x04, length, rest @ ..] if usize::from(*length) == rest.len() => rest,
        bare => bare,
    };
    VerifyingKey::from_sec1_bytes(sec1).map_err(|_| {
        anyhow::anyhow!("the token's public key is not a P-256 point (the key must be ECDSA P-256)")
    })
}

impl TokenSigner {
    /// Loads `key.module`, finds the token and logs in, and finds the key
    /// pair labelled `key.key`.
    pub fn open(key: &TokenKey<'_>) -> Result<TokenSigner> {
        let description = format!(
            "key {:?} in token {:?} of {}",
            key.key,
            key.token,
            key.module.display()
        );
        let pin = read_pin(key.pin_file)?;
        let module = Pkcs11::new(key.module).with_context(|| {
            format!(
                "cannot load the PKCS#11 module {} (for SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)",
                key.module.display()
            )
        })?;
        module
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .context("the PKCS#11 module did not initialise")?;
        let mut slot = None;
        for candidate in module.get_slots_with_token()? {
            if module.get_token_info(candidate)?.label() == key.token {
                slot = Some(candidate);
                break;
            }
        }
        let slot = slot.with_context(|| {
            format!(
                "{}: no token labelled {:?} (`softhsm2-util --show-slots` lists them)",
                key.module.display(),
                key.token
            )
        })?;
        let session = module.open_ro_session(slot)?;
        session
            .login(UserType::User, Some(&pin))
            .with_context(|| format!("cannot log in to token {:?}: wrong PIN?", key.token))?;
        let label = Attribute::Label(key.key.as_bytes().to_vec());
        let private_key = one_object(
            &session,
            &[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(KeyType::EC),
                label.clone(),
            ],
            &format!("EC private key labelled {:?}", key.key),
        )?;
        let public_handle = one_object(
            &session,
            &[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::KeyType(KeyType::EC),
                label,
            ],
            &format!("EC public key labelled {:?}", key.key),
        )?;
        let public_key = public_key_of(&session, public_handle)?;
        Ok(TokenSigner {
            session,
            private_key,
            public_key,
            description,
        })
    }

    /// The key pair's public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.public_key
    }

    /// Signs a SHA-256 digest with `CKM_ECDSA` (which signs the digest as
    /// given and returns `r || s`).
    pub fn sign(&self, digest: &[u8; 32]) -> Result<[u8; 64], String> {
        let signature = self
            .session
            .sign(&Mechanism::Ecdsa, self.private_key, digest)
            .map_err(|error| format!("{}: C_Sign failed: {error}", self.description))?;
        signature.try_into().map_err(|signature: Vec<u8>| {
            format!(
                "{}: C_Sign returned {} bytes, not the 64 of a P-256 r || s",
                self.description,
                signature.len()
            )
        })
    }
}

/// An outside command that signs digests (see docs/signing.md, "External
/// signer"): run by `sh -c`, it gets the SHA-256 digest as 64 lowercase hex
/// digits and a newline on stdin (and in `TBF_DIGEST_HEX`), and prints a
/// DER `ECDSA-Sig-Value` on stdout, exiting 0.
pub struct CommandSigner {
    /// The command line, as given to `--signer`.
    pub command: String,
}

impl CommandSigner {
    /// Runs the command for `digest`; returns `r || s`.
    pub fn sign(&self, digest: &[u8; 32]) -> Result<[u8; 64], String> {
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .env(DIGEST_VARIABLE, &hex)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot run `sh -c {:?}`: {error}", self.command))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A signer that reads the digest from TBF_DIGEST_HEX may exit
            // without reading stdin; a broken pipe is then no error.
            let _ = stdin.write_all(format!("{hex}\n").as_bytes());
        }
        let output = child
            .wait_with_output()
            .map_err(|error| format!("signer {:?}: {error}", self.command))?;
        if !output.status.success() {
            return Err(format!(
                "signer {:?} exited with {}: {}",
                self.command,
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let signature = Signature::from_der(&output.stdout).map_err(|_| {
            format!(
                "signer {:?} printed {} bytes that are not a DER ECDSA signature \
                 (SEQUENCE of two INTEGERs r and s, e.g. what `openssl pkeyutl -sign` writes)",
                self.command,
                output.stdout.len()
            )
        })?;
        Ok(signature.to_bytes().into())
    }
}

/// How `tbf sign` signs with ECDSA P-256, from its flags.
pub enum EcdsaSigner {
    /// A private key file.
    File(p256::ecdsa::SigningKey),
    /// A key in a PKCS#11 token.
    Token(Box<TokenSigner>),
    /// An outside command, with the public key its signatures must verify with.
    Command(CommandSigner, VerifyingKey),
}

impl EcdsaSigner {
    /// The public key the signatures verify with.
    pub fn public_key(&self) -> VerifyingKey {
        match self {
            EcdsaSigner::File(key) => *key.verifying_key(),
            EcdsaSigner::Token(token) => token.public_key(),
            EcdsaSigner::Command(_, public) => *public,
        }
    }

    /// Signs a SHA-256 digest as it is (no second hash) and checks the
    /// signature with [`Self::public_key`] before handing it back, so an
    /// outside signer that used another key is caught here.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; 64]> {
        use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
        let signature: [u8; 64] = match self {
            EcdsaSigner::File(key) => {
                let signature: Signature = key
                    .sign_prehash(digest)
                    .map_err(|_| anyhow::anyhow!("the ECDSA signing library failed"))?;
                signature.to_bytes().into()
            }
            EcdsaSigner::Token(token) => token.sign(digest).map_err(anyhow::Error::msg)?,
            EcdsaSigner::Command(command, _) => command.sign(digest).map_err(anyhow::Error::msg)?,
        };
        let parsed = Signature::from_slice(&signature)
            .map_err(|_| anyhow::anyhow!("the signer returned a malformed signature"))?;
        if self.public_key().verify_prehash(digest, &parsed).is_err() {
            bail!(
                "the signer's signature does not verify with its public key (--key names \
                 another key than the one that signed?); nothing was written"
            );
        }
        Ok(signature)
    }

    /// The signer that `--key`, `--pkcs11 MODULE --token LABEL [--pin-file]`
    /// or `--signer CMD` name, as `tbf sign` takes them: `key` is a private
    /// key file, the key pair's label in the token, or the signer's public
    /// key file. `None` when no key was given.
    pub fn from_flags(
        key: Option<&Path>,
        pkcs11: Option<&PathBuf>,
        token: Option<&str>,
        pin_file: Option<&Path>,
        signer: Option<&str>,
    ) -> Result<Option<EcdsaSigner>> {
        if let Some(module) = pkcs11 {
            let flags = TokenFlags {
                module,
                token,
                key,
                pin_file,
            };
            return Ok(Some(EcdsaSigner::Token(Box::new(flags.open()?))));
        }
        if let Some(command) = signer {
            let public = key.context(
                "--signer needs --key PUBLIC_KEY: the signer's public key, so its signature is \
                 checked before it is written",
            )?;
            let public = crate::credentials::load_ecdsa_public(public)?;
            let signer = CommandSigner {
                command: command.to_string(),
            };
            return Ok(Some(EcdsaSigner::Command(signer, public)));
        }
        let key = key
            .map(crate::credentials::load_ecdsa_private)
            .transpose()?;
        Ok(key.map(EcdsaSigner::File))
    }
}

/// The PKCS#11 flags of `tbf sign`, if `--pkcs11` was given.
pub struct TokenFlags<'a> {
    pub module: &'a PathBuf,
    pub token: Option<&'a str>,
    pub key: Option<&'a Path>,
    pub pin_file: Option<&'a Path>,
}

impl TokenFlags<'_> {
    /// Opens the token the flags name.
    pub fn open(&self) -> Result<TokenSigner> {
        let token = self
            .token
            .context("--pkcs11 needs --token LABEL (the token's label)")?;
        let key = self
            .key
            .and_then(Path::to_str)
            .context("--pkcs11 needs --key LABEL (the key pair's label in the token)")?;
        TokenSigner::open(&TokenKey {
            module: self.module,
            token,
            key,
            pin_file: self.pin_file,
        })
    }
}
