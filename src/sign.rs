//! Signed evidence: the layer over the manifests that `export`, `report` and `diff -o` write.
//! `keygen` makes an Ed25519 key pair, `--sign` puts a signature beside a manifest
//! (`manifest.json.minisig`), and `verify` checks a manifest's files and, with the public key, its
//! signature. Keys and signatures are minisign's formats (through the `minisign` crate), so an
//! auditor can check a bundle with the stock `minisign -V` without rollcall, and rollcall signs
//! with keys the `minisign` tool made.
//!
//! Nothing here knows the command line: `cmd/keygen.rs`, `cmd/verify.rs` and the writing
//! commands turn flags into these calls.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ct_codecs::{Base64, Decoder};
use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};

use crate::error::Failure;

/// Where an encrypted key's password comes from when there is no terminal to ask on (never a
/// flag: a flag would be in the shell history and in `ps`).
pub(crate) const PASSWORD_VAR: &str = "ROLLCALL_SIGN_PASSWORD";

/// minisign's own suffix, so `minisign -Vm manifest.json` finds the signature by itself.
const SIG_SUFFIX: &str = ".minisig";

/// The length of a decoded minisign secret key: algorithm, KDF and checksum algorithms, salt,
/// opslimit, memlimit, key id, Ed25519 secret key, checksum.
const SECRET_KEY_BYTES: usize = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;

fn usage(message: String) -> anyhow::Error {
    Failure::Usage(message).into()
}

/// `NAME.minisig` beside `NAME`.
pub(crate) fn signature_path(manifest: &Path) -> PathBuf {
    with_suffix(manifest, SIG_SUFFIX)
}

/// `KEYFILE.pub` beside `KEYFILE`, as `rollcall keygen` writes it.
pub(crate) fn public_key_path(secret: &Path) -> PathBuf {
    with_suffix(secret, ".pub")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// A key id as minisign prints it (`minisign public key: 0123456789ABCDEF`).
fn key_id(keynum: &[u8]) -> String {
    let mut b = [0u8; 8];
    b.copy_from_slice(&keynum[..8]);
    format!("{:016X}", u64::from_le_bytes(b))
}

/// The signing password: `ROLLCALL_SIGN_PASSWORD`, else asked on the terminal (twice for a new
/// key). With neither, a usage error: a job without a terminal must not hang on a prompt.
fn password(what: &str, prompt: &str, twice: bool) -> Result<String> {
    if let Some(p) = std::env::var_os(PASSWORD_VAR) {
        return p
            .into_string()
            .map_err(|_| usage(format!("{PASSWORD_VAR} is not valid UTF-8")));
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(format!(
            "{what} needs a password: set {PASSWORD_VAR}, or run rollcall in a terminal to be asked"
        )));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map_err(|e| usage(format!("{what} needs a password: {e}")))
    };
    let first = ask(prompt)?;
    if twice && ask("Password (again): ")? != first {
        return Err(usage(
            "the two passwords differ; nothing was written".into(),
        ));
    }
    Ok(first)
}

/// A secret key, decrypted, ready to sign. Loaded before a command writes anything, so a wrong
/// password or an unusable key leaves no output behind.
pub(crate) struct Signer {
    sk: SecretKey,
    pk: PublicKey,
}

impl Signer {
    /// Reads a minisign secret key (rollcall's or the `minisign` tool's, encrypted or made
    /// with `-W`), asking for the password only when it is encrypted.
    pub(crate) fn load(path: &Path) -> Result<Signer> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("--sign {shown}: cannot read the key: {e}")))?;
        let not_a_key = || usage(format!("--sign {shown}: not a minisign secret key"));
        let encoded = text.lines().nth(1).ok_or_else(not_a_key)?;
        let bytes = Base64::decode_to_vec(encoded.trim(), None).map_err(|_| not_a_key())?;
        if bytes.len() != SECRET_KEY_BYTES || &bytes[..2] != b"Ed" {
            return Err(not_a_key());
        }
        let sk = if bytes[2..4] == [0, 0] && bytes[SECRET_KEY_BYTES - 32..] == [0; 32] {
            // `minisign -G -W` leaves an unencrypted key's checksum zero (and `minisign -S`
            // accepts it); the crate would call it corrupted. The trial signature below still
            // catches a damaged key.
            SecretKey::from_bytes(&bytes).map_err(|_| not_a_key())?
        } else if bytes[2..4] == [0, 0] {
            SecretKey::from_unencrypted_box(SecretKeyBox::from(text))
                .map_err(|e| usage(format!("--sign {shown}: {e}")))?
        } else {
            let pw = password(
                &format!("--sign {shown}: the key is encrypted and"),
                &format!("Password for {shown}: "),
                false,
            )?;
            SecretKey::from_box(SecretKeyBox::from(text), Some(pw)).map_err(|e| match e.kind() {
                // The checksum after decryption is the only sign of a wrong password.
                minisign::ErrorKind::Verify => usage(format!(
                    "--sign {shown}: wrong password for this key (from {})",
                    if std::env::var_os(PASSWORD_VAR).is_some() {
                        PASSWORD_VAR
                    } else {
                        "the terminal"
                    }
                )),
                _ => usage(format!("--sign {shown}: {e}")),
            })?
        };
        let pk =
            PublicKey::from_secret_key(&sk).map_err(|e| usage(format!("--sign {shown}: {e}")))?;
        // A trial signature, checked against the key's own public half: a damaged key is bad
        // input now, not a failure after the manifest is written.
        minisign::sign(Some(&pk), &sk, &b""[..], Some(""), None).map_err(|_| {
            usage(format!(
                "--sign {shown}: the key is damaged (it cannot make a valid signature)"
            ))
        })?;
        Ok(Signer { sk, pk })
    }

    /// Signs the manifest's bytes as they are on disk, prehashed as minisign ≥ 0.8 does by
    /// default, with a trusted comment naming the tool, the subject and the manifest's SHA-256
    /// (the signature covers the comment too, so it cannot be swapped). Written atomically.
    fn sign(&self, manifest: &Path, subject: &str) -> Result<Signed> {
        let bytes =
            std::fs::read(manifest).with_context(|| format!("reading {}", manifest.display()))?;
        let trusted = format!(
            "rollcall {} {subject} manifest sha256:{}",
            crate::VERSION,
            crate::util::sha256_hex(&bytes)
        );
        let untrusted = format!(
            "rollcall signature of {}",
            manifest.file_name().unwrap_or_default().to_string_lossy()
        );
        // With the public key, the crate checks the new signature before it is written.
        let sig = minisign::sign(
            Some(&self.pk),
            &self.sk,
            &bytes[..],
            Some(&trusted),
            Some(&untrusted),
        )
        .map_err(|e| anyhow::anyhow!("signing {}: {e}", manifest.display()))?;
        let path = signature_path(manifest);
        crate::export::write_atomic(&path, &sig.to_bytes())?;
        Ok(Signed {
            path,
            key_id: key_id(self.pk.keynum()),
        })
    }
}

/// A signature written: the `.minisig` and the key id, for the command's note.
pub(crate) struct Signed {
    pub(crate) path: PathBuf,
    pub(crate) key_id: String,
}

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (key {})", self.path.display(), self.key_id)
    }
}

/// After a manifest is written: sign it with `signer`, or, unsigned, remove a signature an
/// earlier run left beside it (it signs other bytes, and would claim a signature that isn't
/// there). A failed signing removes the signature file too.
pub(crate) fn finish(
    signer: Option<&Signer>,
    manifest: &Path,
    subject: &str,
) -> Result<Option<Signed>> {
    let path = signature_path(manifest);
    let signed = signer.map(|s| s.sign(manifest, subject)).transpose();
    if !matches!(signed, Ok(Some(_))) {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing the old {}", path.display()));
            }
            _ => {}
        }
    }
    signed
}

/// `rollcall keygen`: what was written.
pub(crate) struct Generated {
    pub(crate) secret: PathBuf,
    pub(crate) public: PathBuf,
    pub(crate) key_id: String,
    pub(crate) encrypted: bool,
}

/// Makes an Ed25519 key pair in minisign's format: `out` (the secret key, mode 0600; scrypt-
/// encrypted unless `no_password`, as `minisign -G` / `minisign -G -W`) and `out.pub`. Existing
/// files are kept unless `force`.
pub(crate) fn keygen(out: &Path, no_password: bool, force: bool) -> Result<Generated> {
    crate::export::check_target("--out", out)?;
    let public = public_key_path(out);
    if !force {
        for p in [out, public.as_path()] {
            if p.exists() {
                return Err(usage(format!(
                    "{} exists; --force replaces it (and the key it holds)",
                    p.display()
                )));
            }
        }
    }
    let kp = if no_password {
        KeyPair::generate_unencrypted_keypair()
    } else {
        let pw = password("the new key", "Password for the new key: ", true)?;
        if pw.is_empty() {
            return Err(usage(
                "an empty password; use --no-password for a key without one".into(),
            ));
        }
        KeyPair::generate_encrypted_keypair(Some(pw))
    }
    .map_err(|e| anyhow::anyhow!("generating the key: {e}"))?;
    let comment = if no_password {
        "rollcall secret key (no password)"
    } else {
        "rollcall secret key (encrypted)"
    };
    let sk_text = kp
        .sk
        .to_box(Some(comment))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let pk_text = kp.pk.to_box().map_err(|e| anyhow::anyhow!("{e}"))?;
    // Both are written to temporary files first (tempfile creates them 0600) and renamed only
    // when both are complete, so a failure leaves no half key pair.
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = |bytes: &[u8], mode: u32| -> Result<tempfile::NamedTempFile> {
        let mut f = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("writing to {}", dir.display()))?;
        f.write_all(bytes)?;
        f.as_file().sync_all()?;
        set_mode(f.path(), mode)?;
        Ok(f)
    };
    let sk_file = temp(&sk_text.to_bytes(), 0o600)?;
    let pk_file = temp(&pk_text.to_bytes(), 0o644)?;
    let persist = |f: tempfile::NamedTempFile, to: &Path| -> Result<()> {
        if force {
            f.persist(to).map(|_| ())
        } else {
            f.persist_noclobber(to).map(|_| ())
        }
        .map_err(|e| anyhow::anyhow!("writing {}: {}", to.display(), e.error))
    };
    persist(sk_file, out)?;
    if let Err(e) = persist(pk_file, &public) {
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    Ok(Generated {
        secret: out.to_path_buf(),
        public,
        key_id: key_id(kp.pk.keynum()),
        encrypted: !no_password,
    })
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// One line of `verify`'s account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    /// Informational: checked nothing that could fail (no signature, no key given).
    Note,
    Changed,
    Missing,
    Added,
    BadSignature,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Note => "note",
            Status::Changed => "CHANGED",
            Status::Missing => "MISSING",
            Status::Added => "ADDED",
            Status::BadSignature => "BAD SIGNATURE",
        }
    }

    fn is_problem(self) -> bool {
        !matches!(self, Status::Ok | Status::Note)
    }
}

/// What `verify` found: one line per check, and the problems among them.
pub(crate) struct Verification {
    pub(crate) manifest: PathBuf,
    pub(crate) lines: Vec<(Status, String)>,
    /// A short name of each problem (`users.csv changed`), for the one-line error.
    pub(crate) problems: Vec<String>,
}

impl Verification {
    fn push(&mut self, status: Status, line: String, problem: Option<String>) {
        if status.is_problem() {
            self.problems.push(problem.unwrap_or_else(|| line.clone()));
        }
        self.lines.push((status, line));
    }
}

/// One entry of a manifest's `files`.
#[derive(serde::Deserialize)]
struct Listed {
    file: String,
    bytes: u64,
    sha256: String,
}

/// The part of any rollcall manifest (`export`, `report`, `diff`) that `verify` reads.
#[derive(serde::Deserialize)]
struct ManifestFiles {
    files: Vec<Listed>,
}

/// The manifest `PATH` names: a report folder's `manifest.json`, `FILE.manifest.json` beside an
/// export or a diff, a manifest itself, or the manifest a `.minisig` signs.
fn locate(path: &Path) -> Result<PathBuf> {
    let shown = path.display();
    if path.is_dir() {
        let m = path.join("manifest.json");
        if !m.is_file() {
            return Err(usage(format!(
                "{shown}: no manifest.json in this folder (not a rollcall report?)"
            )));
        }
        return Ok(m);
    }
    if !path.exists() {
        return Err(usage(format!("{shown}: no such file or folder")));
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    if name == "manifest.json" || name.ends_with(".manifest.json") {
        return Ok(path.to_path_buf());
    }
    if let Some(signed) = name.strip_suffix(SIG_SUFFIX) {
        return locate(&path.with_file_name(signed));
    }
    let m = crate::export::manifest_path(path);
    if !m.is_file() {
        return Err(usage(format!(
            "{shown}: no {} beside it (not a rollcall export?)",
            m.file_name().unwrap_or_default().to_string_lossy()
        )));
    }
    Ok(m)
}

/// A listed name must be a plain file name in the manifest's folder: rollcall never writes
/// another, and `../` would make `verify` hash files outside the bundle.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && Path::new(name).file_name().is_some_and(|n| n == name)
}

/// `rollcall verify`: every listed file's size and SHA-256; in a report folder (a manifest named
/// `manifest.json`), that nothing else is there but the manifest and its signature; with
/// `pubkey`, the signature of the manifest and the manifest hash its trusted comment names.
/// Bad input (no manifest, an unreadable key, a malformed signature) is a usage error; what
/// was changed is in the returned problems.
pub(crate) fn verify(path: &Path, pubkey: Option<&Path>) -> Result<Verification> {
    let manifest = locate(path)?;
    let shown = manifest.display().to_string();
    // The key first: a bad --pubkey is bad input whatever the files say.
    let pk = pubkey.map(read_public_key).transpose()?;
    let bytes = std::fs::read(&manifest).map_err(|e| usage(format!("{shown}: {e}")))?;
    let listed: ManifestFiles = serde_json::from_slice(&bytes)
        .map_err(|e| usage(format!("{shown}: not a rollcall manifest: {e}")))?;
    if let Some(bad) = listed.files.iter().find(|f| !plain_name(&f.file)) {
        return Err(usage(format!(
            "{shown}: lists {:?}, which is not a file beside the manifest",
            bad.file
        )));
    }
    let manifest_sha = crate::util::sha256_hex(&bytes);
    let dir = manifest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut v = Verification {
        manifest: manifest.clone(),
        lines: Vec::new(),
        problems: Vec::new(),
    };
    v.push(
        Status::Note,
        format!(
            "manifest {shown}: {} files listed, sha256 {manifest_sha}",
            listed.files.len()
        ),
        None,
    );
    for f in &listed.files {
        check_file(&mut v, &dir, f)?;
    }
    let manifest_name = manifest
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let sig_path = signature_path(&manifest);
    if manifest_name == "manifest.json" {
        check_folder(&mut v, &dir, &listed, &manifest_name)?;
    }
    check_signature(&mut v, &sig_path, &bytes, &manifest_sha, pk.as_ref())?;
    Ok(v)
}

fn check_file(v: &mut Verification, dir: &Path, f: &Listed) -> Result<()> {
    let path = dir.join(&f.file);
    let name = &f.file;
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            v.push(
                Status::Missing,
                format!("{name}: listed in the manifest, not in the folder"),
                Some(format!("{name} missing")),
            );
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if !meta.is_file() {
        v.push(
            Status::Changed,
            format!("{name}: not a regular file"),
            Some(format!("{name} changed")),
        );
        return Ok(());
    }
    if meta.len() != f.bytes {
        v.push(
            Status::Changed,
            format!(
                "{name}: {} bytes, the manifest says {}",
                meta.len(),
                f.bytes
            ),
            Some(format!("{name} changed")),
        );
        return Ok(());
    }
    let sha =
        crate::util::sha256_file(&path).with_context(|| format!("hashing {}", path.display()))?;
    if !sha.eq_ignore_ascii_case(&f.sha256) {
        v.push(
            Status::Changed,
            format!("{name}: sha256 {sha}, the manifest says {}", f.sha256),
            Some(format!("{name} changed")),
        );
    } else {
        v.push(
            Status::Ok,
            format!("{name}: {} bytes, sha256 {sha}", f.bytes),
            None,
        );
    }
    Ok(())
}

/// In a report folder, everything but the manifest, its signature and the listed files is
/// "added": a page or a CSV slipped in beside the evidence would otherwise pass unnoticed.
/// Exports and diffs sit in folders with other things, so only their listed files count.
fn check_folder(
    v: &mut Verification,
    dir: &Path,
    listed: &ManifestFiles,
    manifest_name: &str,
) -> Result<()> {
    let mut expected: BTreeSet<String> = listed.files.iter().map(|f| f.file.clone()).collect();
    expected.insert(manifest_name.to_string());
    expected.insert(format!("{manifest_name}{SIG_SUFFIX}"));
    let mut added = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !expected.contains(&name) {
            added.push(name);
        }
    }
    added.sort();
    if added.is_empty() {
        v.push(
            Status::Ok,
            format!("{}: no files but the manifest's", dir.display()),
            None,
        );
    }
    for name in added {
        v.push(
            Status::Added,
            format!("{name}: in the report folder, not in the manifest"),
            Some(format!("{name} added")),
        );
    }
    Ok(())
}

fn read_public_key(path: &Path) -> Result<PublicKey> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("--pubkey {shown}: cannot read the key: {e}")))?;
    // A .pub file (comment line, key line), or the bare key as `minisign -P` takes it.
    let key = match text.lines().count() {
        1 => PublicKey::from_base64(text.trim()),
        _ => PublicKey::from_box(PublicKeyBox::from(text.clone())),
    };
    key.map_err(|_| usage(format!("--pubkey {shown}: not a minisign public key")))
}

/// The `manifest sha256:HEX` rollcall's trusted comments carry.
fn comment_hash(comment: &str) -> Option<&str> {
    let mut words = comment.split_whitespace();
    while let Some(w) = words.next() {
        if w == "manifest" {
            return words.next().and_then(|h| h.strip_prefix("sha256:"));
        }
    }
    None
}

fn check_signature(
    v: &mut Verification,
    sig_path: &Path,
    manifest: &[u8],
    manifest_sha: &str,
    pk: Option<&PublicKey>,
) -> Result<()> {
    let sig_name = sig_path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let Some(pk) = pk else {
        let line = if sig_path.exists() {
            format!("{sig_name}: present, not checked (give --pubkey KEYFILE.pub)")
        } else {
            "no signature (none beside the manifest)".to_string()
        };
        v.push(Status::Note, line, None);
        return Ok(());
    };
    let text = match std::fs::read_to_string(sig_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            v.push(
                Status::Missing,
                format!("{sig_name}: no signature beside the manifest"),
                Some(format!("{sig_name} missing")),
            );
            return Ok(());
        }
        Err(e) => return Err(usage(format!("{}: {e}", sig_path.display()))),
    };
    let sig = SignatureBox::from_string(&text).map_err(|e| {
        usage(format!(
            "{}: not a minisign signature: {e}",
            sig_path.display()
        ))
    })?;
    let (signed_by, expected) = (key_id(sig.keynum()), key_id(pk.keynum()));
    if signed_by != expected {
        v.push(
            Status::BadSignature,
            format!("{sig_name}: made with key {signed_by}, not the given key {expected}"),
            Some(format!("{sig_name} made with another key")),
        );
        return Ok(());
    }
    let comment = sig
        .trusted_comment()
        .map_err(|e| usage(format!("{}: {e}", sig_path.display())))?;
    // Legacy (not prehashed) signatures pass as they do with `minisign -V` without -H.
    if minisign::verify(pk, &sig, std::io::Cursor::new(manifest), true, false, true).is_err() {
        v.push(
            Status::BadSignature,
            format!(
                "{sig_name}: does not match the manifest (the manifest or the signature was changed after signing)"
            ),
            Some(format!("{sig_name} does not match the manifest")),
        );
        return Ok(());
    }
    v.push(
        Status::Ok,
        format!("{sig_name}: valid signature by key {signed_by}; trusted comment: {comment}"),
        None,
    );
    match comment_hash(&comment) {
        Some(h) if h.eq_ignore_ascii_case(manifest_sha) => v.push(
            Status::Ok,
            "trusted comment: names this manifest's sha256".to_string(),
            None,
        ),
        Some(h) => v.push(
            Status::BadSignature,
            format!(
                "trusted comment: names manifest sha256 {h}, not this manifest's {manifest_sha}"
            ),
            Some("the trusted comment names another manifest".into()),
        ),
        None => v.push(
            Status::Note,
            "trusted comment: names no manifest sha256 (not signed by rollcall)".to_string(),
            None,
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_stay_in_the_folder() {
        for ok in ["users.csv", "index.html", "a b.csv", ".hidden"] {
            assert!(plain_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "/etc/passwd", "a\\b"] {
            assert!(!plain_name(bad), "{bad}");
        }
    }

    #[test]
    fn trusted_comment_hash() {
        assert_eq!(
            comment_hash("rollcall 0.1.0 snapshot 3 manifest sha256:abc"),
            Some("abc")
        );
        assert_eq!(
            comment_hash("timestamp:1700000000\tfile:manifest.json"),
            None
        );
        assert_eq!(comment_hash("manifest"), None);
    }

    #[test]
    fn key_ids_read_as_minisign_prints_them() {
        assert_eq!(key_id(&[1, 0, 0, 0, 0, 0, 0, 0xAB]), "AB00000000000001");
    }

    #[test]
    fn a_signature_sits_beside_its_manifest() {
        assert_eq!(
            signature_path(Path::new("out/manifest.json")),
            PathBuf::from("out/manifest.json.minisig")
        );
        assert_eq!(public_key_path(Path::new("k")), PathBuf::from("k.pub"));
    }
}
