//! `--pseudonymize`: names and emails replaced by stable keyed pseudonyms, so an export, a
//! report or a diff can be shared without saying who is who. This module holds the key, the
//! HMAC-SHA-256 it is used with (RFC 2104 over `sha2`, already a dependency) and the pseudonyms'
//! format; the store registers the same functions in DuckDB (`store/pseudo.rs`) so the export's
//! SQL pseudonymises rows as they stream, and the read side ([`crate::read::Reader`]) applies
//! them to everything it hands out once a key is loaded. Nothing here knows about flags beyond
//! [`from_flags`], which `export`, `report`, `diff` (and `check`) call.
//!
//! The pseudonym is computed over the email key ([`crate::email::key`]), never the address as
//! written, so one person has one pseudonym in every output and every snapshot made with the
//! same key, whatever the case of their address.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Failure;

/// The environment variable holding the key's text.
pub(crate) const KEY_ENV: &str = "ROLLCALL_PSEUDO_KEY";
/// The shortest key accepted, in bytes: a key is the one secret between a pseudonym and the
/// address behind it, and anyone holding one known address can test guesses against an output.
pub(crate) const MIN_KEY_BYTES: usize = 16;
/// The domain of pseudonymous addresses: `.invalid` is reserved (RFC 2606), so no mail can go
/// to one by mistake.
pub(crate) const EMAIL_DOMAIN: &str = "pseudonym.invalid";

const BLOCK: usize = 64;

/// HMAC-SHA-256 (RFC 2104): `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))`, a key longer than a block
/// hashed first. (The pseudonyms use [`Hmac`] directly; this is its one-shot form.)
#[cfg(test)]
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    Hmac::new(key).mac(message)
}

/// HMAC-SHA-256 with the key's two padded blocks already absorbed: each pseudonym then costs
/// two hash compressions, not four, which a million-row export notices.
#[derive(Clone)]
struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    fn new(key: &[u8]) -> Hmac {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut h = Sha256::new();
            h.update(block.map(|b| b ^ byte));
            h
        };
        Hmac {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        inner.update(message);
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A loaded pseudonymisation key. It never prints itself (no `Debug` of the bytes) and is kept
/// only as the HMAC's padded states.
#[derive(Clone)]
pub(crate) struct Key {
    hmac: Hmac,
    id: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key {{ id: {} }}", self.id)
    }
}

/// Where a key came from, for the refusal's words.
fn refuse(message: String) -> anyhow::Error {
    Failure::Usage(message).into()
}

impl Key {
    /// A key from its bytes; fewer than [`MIN_KEY_BYTES`] is refused (`origin` names the flag or
    /// variable in the message).
    pub(crate) fn from_bytes(bytes: &[u8], origin: &str) -> Result<Key> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(refuse(format!(
                "{origin}: the pseudonymisation key is {} bytes; at least {MIN_KEY_BYTES} are needed (e.g. `openssl rand -hex 32`)",
                bytes.len()
            )));
        }
        let hmac = Hmac::new(bytes);
        // The key's identity in manifests: an HMAC under the key itself, of a label no email
        // key can equal (those are MACed as "email:…"), so it reveals no more than any one
        // pseudonym does. Two outputs with the same id were made with the same key.
        let id = hex(&hmac.mac(b"key-id")[..4]);
        Ok(Key { hmac, id })
    }

    /// The key from `--pseudo-key-file FILE` (its bytes, less one trailing line ending, so
    /// `echo KEY > FILE` and `printf KEY > FILE` give the same key) or else from
    /// `ROLLCALL_PSEUDO_KEY` (its text as it is). No key is a usage error: there is no default.
    pub(crate) fn load(file: Option<&Path>) -> Result<Key> {
        if let Some(path) = file {
            let flag = format!("--pseudo-key-file {}", path.display());
            let mut bytes = std::fs::read(path)
                .map_err(|e| refuse(format!("{flag}: cannot read the key: {e}")))?;
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            return Key::from_bytes(&bytes, &flag);
        }
        match std::env::var_os(KEY_ENV) {
            Some(v) if !v.is_empty() => Key::from_bytes(v.as_encoded_bytes(), KEY_ENV),
            _ => Err(refuse(format!(
                "--pseudonymize needs a key: set {KEY_ENV} or pass --pseudo-key-file FILE (at least {MIN_KEY_BYTES} bytes; there is no default key)"
            ))),
        }
    }

    /// The MAC of an email key: what both pseudonyms of a user are cut from.
    fn digest(&self, email_key: &str) -> [u8; 32] {
        let mut message = Vec::with_capacity(6 + email_key.len());
        message.extend_from_slice(b"email:");
        message.extend_from_slice(email_key.as_bytes());
        self.hmac.mac(&message)
    }

    /// `u-<16 hex>@pseudonym.invalid` for an email key as stored (`users.email_key`).
    pub(crate) fn email_of_key(&self, email_key: &str) -> String {
        format!("u-{}@{EMAIL_DOMAIN}", hex(&self.digest(email_key)[..8]))
    }

    /// `User <8 hex>`, the first 8 hex of the email's pseudonym, so a name and an address shown
    /// together visibly agree.
    pub(crate) fn name_of_key(&self, email_key: &str) -> String {
        format!("User {}", hex(&self.digest(email_key)[..4]))
    }

    /// The pseudonym of an address as written (any case, composed or not): its email key's.
    pub(crate) fn email(&self, email: &str) -> String {
        self.email_of_key(&crate::email::key(email))
    }

    /// The pseudonym of a user's name, derived from their address; a missing or empty name
    /// stays as it is (a blank says nothing of who it is, and the reader sees which are blank).
    pub(crate) fn name(&self, email: &str, name: Option<&str>) -> Option<String> {
        match name {
            Some(n) if !n.is_empty() => Some(self.name_of_key(&crate::email::key(email))),
            other => other.map(str::to_string),
        }
    }

    /// The first 8 hex of HMAC(key, "key-id"): recorded in manifests, see [`Key::from_bytes`].
    #[cfg(test)]
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// What a manifest records of the pseudonymisation (never the key).
    pub(crate) fn record(&self) -> Record {
        Record {
            method: "hmac-sha256",
            input: "email_key",
            fields: vec!["name", "email"],
            removed: vec!["device_name", "reject_detail", "reject_raw"],
            key_id: self.id.clone(),
        }
    }
}

/// A manifest's `pseudonymized` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Record {
    pub(crate) method: &'static str,
    /// What the MAC is computed over: the normalised address.
    pub(crate) input: &'static str,
    /// Replaced by pseudonyms.
    pub(crate) fields: Vec<&'static str>,
    /// Left out (empty) wherever the output would carry them.
    pub(crate) removed: Vec<&'static str>,
    pub(crate) key_id: String,
}

/// The key a command's `--pseudonymize` and `--pseudo-key-file` ask for: `None` without
/// `--pseudonymize`. The one entry point commands call (`rollcall check` too); then hand the
/// key to [`crate::read::Reader::pseudonymize`].
pub(crate) fn from_flags(pseudonymize: bool, key_file: Option<&Path>) -> Result<Option<Key>> {
    if !pseudonymize {
        return Ok(None);
    }
    Key::load(key_file).map(Some)
}

/// [`from_flags`] for the flags as clap parsed them, with `--search` refused alongside.
pub(crate) fn from_args(
    a: &crate::cli::PseudoArgs,
    filters: &crate::domain::FilterSet,
) -> Result<Option<std::sync::Arc<Key>>> {
    let key = from_flags(a.pseudonymize, a.pseudo_key_file.as_deref())?;
    check_filters(key.as_ref(), filters)?;
    Ok(key.map(std::sync::Arc::new))
}

/// Refuses `--search` with `--pseudonymize`: the search matches real names and emails, and its
/// text would be recorded in the manifest and the page.
pub(crate) fn check_filters(key: Option<&Key>, filters: &crate::domain::FilterSet) -> Result<()> {
    if key.is_some() && filters.search.is_some() {
        return Err(refuse(
            "--search matches real names and emails and is recorded in the output: it cannot be combined with --pseudonymize".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231, test cases 1–4, 6 and 7 (5 truncates the output, which this never does).
    #[test]
    fn hmac_matches_rfc_4231() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &data)), want);
        }
        // A key of exactly one block is used as it is, not hashed.
        let block = [7u8; 64];
        let mut manual_inner = Sha256::new();
        manual_inner.update(block.map(|b| b ^ 0x36));
        manual_inner.update(b"m");
        let mut manual = Sha256::new();
        manual.update(block.map(|b| b ^ 0x5c));
        manual.update(manual_inner.finalize());
        assert_eq!(
            hmac_sha256(&block, b"m"),
            <[u8; 32]>::from(manual.finalize())
        );
    }

    fn key() -> Key {
        Key::from_bytes(b"0123456789abcdef0123456789abcdef", "test").unwrap()
    }

    #[test]
    fn pseudonyms_follow_the_email_key() {
        let k = key();
        let e = k.email("Zoë.Ångström@Example.COM");
        assert_eq!(e, k.email("zoë.ångström@example.com"));
        // The same address, decomposed and with a full-width dot: the same key, the same pseudonym.
        assert_eq!(
            e,
            k.email("zoe\u{308}.a\u{30a}ngstro\u{308}m@example\u{ff0e}com")
        );
        assert!(
            e.starts_with("u-") && e.ends_with("@pseudonym.invalid"),
            "{e}"
        );
        assert_eq!(e.len(), "u-".len() + 16 + "@pseudonym.invalid".len());
        let n = k.name("ZOË.ÅNGSTRÖM@example.com", Some("Zoë")).unwrap();
        assert_eq!(n, format!("User {}", &e[2..10]));
        assert_eq!(k.name("a@x.com", None), None);
        assert_eq!(k.name("a@x.com", Some("")), Some(String::new()));
        assert_ne!(k.email("a@x.com"), k.email("b@x.com"));
        // The stored key and the address as written agree, and keys are fixed points.
        let stored = crate::email::key("Ann@Bücher.Example");
        assert_eq!(k.email_of_key(&stored), k.email("ann@BÜCHER.example"));
        assert_eq!(crate::email::key(&stored), stored);
        let other = Key::from_bytes(b"another key of enough bytes", "test").unwrap();
        assert_ne!(other.email("a@x.com"), k.email("a@x.com"));
        assert_ne!(other.id(), k.id());
        assert_eq!(k.id().len(), 8);
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_print() {
        let err = Key::from_bytes(b"short", "ROLLCALL_PSEUDO_KEY").unwrap_err();
        assert!(err.to_string().contains("5 bytes; at least 16"), "{err}");
        assert!(Key::from_bytes(&[b'k'; 16], "x").is_ok());
        let shown = format!("{:?}", key());
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn key_files_lose_one_line_ending() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "0123456789abcdef0123").unwrap();
        let echoed = dir.path().join("echoed");
        std::fs::write(&echoed, "0123456789abcdef0123\r\n").unwrap();
        let a = Key::load(Some(&plain)).unwrap();
        let b = Key::load(Some(&echoed)).unwrap();
        assert_eq!(a.email("a@x.com"), b.email("a@x.com"));
        let missing = dir.path().join("nope");
        let err = Key::load(Some(&missing)).unwrap_err().to_string();
        assert!(
            err.contains("--pseudo-key-file") && err.contains("nope"),
            "{err}"
        );
    }
}
