//! The email rules: what an address in an export may look like, and the key users and devices
//! are matched on. The display value is kept as written (trimmed); the key is the local part in
//! NFC, lower-cased, `@`, and the domain in its one ASCII form (IDNA, UTS 46), so `zoë` written
//! composed or decomposed, `bücher.example` and `xn--bcher-kva.example`, and `example．com` with
//! a full-width dot each match themselves.
//!
//! Deliberately refused, though RFC 5322 allows them, because no admin console exports them and
//! each is more likely a copy-paste accident than an address: quoted local parts (`"a b"@x.com`),
//! comments (`ann(work)@x.com`), IP-literal domains (`ann@[192.0.2.1]`) and dotless domains
//! (`ann@localhost`).

use std::borrow::Cow;

use unicode_normalization::{is_nfc, UnicodeNormalization};

/// RFC 5321: a path is at most 256 octets with its angle brackets, so an address 254 characters.
pub(crate) const MAX_EMAIL: usize = 254;
/// RFC 5321: a local part is at most 64 octets.
pub(crate) const MAX_LOCAL: usize = 64;

/// A checked email: `display` as written (trimmed), `key` for matching. Both borrow the cell
/// when they can: ingest checks millions of these, and most are already lower-case ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Email<'a> {
    pub(crate) display: &'a str,
    pub(crate) key: Cow<'a, str>,
}

/// Why an address is refused: the words after "malformed email '…': ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Empty,
    Bad(String),
}

/// Checks an address and makes its key.
pub(crate) fn parse(raw: &str) -> Result<Email<'_>, Problem> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    let bad = |why: String| Err(Problem::Bad(why));
    // Nearly every address is plain ASCII made only of characters an address may hold: that
    // is one table lookup a byte, and none of the checks below can fail for it.
    let plain = text.bytes().all(|b| PLAIN[usize::from(b)]);
    if !plain {
        if let Some(bare) = unwrapped(text) {
            return bad(format!("wrapped address: use the bare address {bare}"));
        }
        if let Some((at, c)) = text.char_indices().find(|(_, c)| invisible(*c)) {
            let position = text[..at].chars().count() + 1;
            return bad(format!(
                "{} U+{:04X}{} at character {position}",
                kind_of(c),
                c as u32,
                name_of(c).map(|n| format!(" ({n})")).unwrap_or_default(),
            ));
        }
        if text.chars().any(char::is_whitespace) {
            return bad("contains a space".into());
        }
    }
    let ascii = plain || text.is_ascii();
    let length = if ascii {
        text.len()
    } else {
        text.chars().count()
    };
    if length > MAX_EMAIL {
        return bad(format!(
            "{length} characters long; an address has at most {MAX_EMAIL}"
        ));
    }
    let mut parts = text.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(l), Some(d), None) => (l, d),
        (_, None, _) => return bad("no '@'".into()),
        _ => return bad("more than one '@'".into()),
    };
    check_local(local, plain).map_err(Problem::Bad)?;
    let domain_key = domain_key(domain).map_err(Problem::Bad)?;
    let key = if ascii && domain_key.as_ref() == domain {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        let local = if ascii {
            Cow::Owned(local.to_ascii_lowercase())
        } else {
            fold(local)
        };
        Cow::Owned(format!("{local}@{domain_key}"))
    };
    Ok(Email { display: text, key })
}

/// The key of an address typed by a person (`rollcall show EMAIL`), or the trimmed, lower-cased
/// text when it is no valid address, so the lookup still finds nothing rather than failing.
pub(crate) fn key(text: &str) -> String {
    match parse(text) {
        Ok(e) => e.key.into_owned(),
        Err(_) => text.trim().to_lowercase(),
    }
}

/// `<ann@x.com>`, `mailto:ann@x.com` or `Ann <ann@x.com>`: the address inside, if it is one.
fn unwrapped(text: &str) -> Option<&str> {
    let inner = if let Some(rest) = text.strip_suffix('>') {
        &rest[rest.rfind('<')? + 1..]
    } else {
        let lower = text.get(..7)?;
        if !lower.eq_ignore_ascii_case("mailto:") {
            return None;
        }
        &text[7..]
    };
    parse(inner).ok().map(|e| e.display)
}

/// The ASCII bytes an address may hold anywhere: RFC 5322 atext, `.` and `@`. (`_` and the
/// other atext symbols are refused in the domain by its own check.)
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let symbols = b"!#$%&'*+-/=?^_`{|}~.@";
    let mut i = 0;
    while i < symbols.len() {
        t[symbols[i] as usize] = true;
        i += 1;
    }
    t
};

fn check_local(local: &str, plain: bool) -> Result<(), String> {
    if local.is_empty() {
        return Err("empty local part".into());
    }
    let length = if plain {
        local.len()
    } else {
        local.chars().count()
    };
    if length > MAX_LOCAL {
        return Err(format!(
            "the local part is {length} characters long; it has at most {MAX_LOCAL}"
        ));
    }
    if !plain {
        if local.starts_with('"') {
            return Err("quoted local parts are not accepted".into());
        }
        if local.contains('(') || local.contains(')') {
            return Err("comments in an address are not accepted".into());
        }
        // RFC 5322 atext (and any non-ASCII character, RFC 6531), in dot-separated runs.
        if let Some(c) = local
            .chars()
            .find(|c| c.is_ascii() && (!PLAIN[*c as usize] || *c == '@'))
        {
            return Err(format!("the local part holds '{c}'"));
        }
    }
    if local.starts_with('.') {
        return Err("the local part starts with a dot".into());
    }
    if local.ends_with('.') {
        return Err("the local part ends with a dot".into());
    }
    if local.contains("..") {
        return Err("two dots in a row in the local part".into());
    }
    Ok(())
}

/// The domain's one ASCII form, after checking it has dotted labels of letters, digits and
/// inner hyphens and a top-level label that is not a number.
fn domain_key(domain: &str) -> Result<Cow<'_, str>, String> {
    if domain.starts_with('[') {
        return Err("IP-literal domains are not accepted".into());
    }
    let ascii: Cow<'_, str> = if domain.is_ascii() && !has_ace_label(domain) {
        if domain.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(domain.to_ascii_lowercase())
        } else {
            Cow::Borrowed(domain)
        }
    } else {
        // UTS 46 maps (full-width dots become dots, letters are case-folded and normalised) and
        // checks, then every label becomes ASCII: one form for every way of writing a domain.
        Cow::Owned(
            idna::domain_to_ascii(domain)
                .map_err(|_| "the domain is not a valid internationalised domain name")?,
        )
    };
    // One pass over the labels, no allocation: this runs for every row of both exports.
    let mut count = 0;
    let mut top = "";
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err("the domain needs a dot between labels".into());
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("the domain label '{label}' holds '{c}'"));
        }
        if label.len() > 63 {
            return Err(format!(
                "a domain label is {} characters long; a label has at most 63",
                label.len()
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "the domain label '{label}' starts or ends with a hyphen"
            ));
        }
        count += 1;
        top = label;
    }
    if count < 2 {
        return Err("the domain needs a dot between labels".into());
    }
    if top.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the top-level label '{top}' is a number"));
    }
    Ok(ascii)
}

/// Whether a label is in ACE form (`xn--…`), whose punycode must be checked like a Unicode label.
fn has_ace_label(domain: &str) -> bool {
    domain
        .split('.')
        .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--"))
}

/// NFC, lower-cased, NFC again (lower-casing can decompose).
fn fold(text: &str) -> Cow<'_, str> {
    let nfc: Cow<'_, str> = if is_nfc(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    };
    let lower = nfc.to_lowercase();
    if is_nfc(&lower) {
        Cow::Owned(lower)
    } else {
        Cow::Owned(lower.nfc().collect())
    }
}

/// Characters that cannot be seen or that control layout: C0 and C1 controls, DEL, format
/// characters (general category Cf: zero-width spaces and joiners, bidirectional marks,
/// overrides and isolates, the BOM, soft hyphen…), private-use characters and noncharacters.
pub(crate) fn invisible(c: char) -> bool {
    let u = c as u32;
    matches!(u,
        0x00..=0x08 | 0x0E..=0x1F | 0x7F..=0x9F | 0xAD
        | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F
        | 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD
        | 0xFDD0..=0xFDEF)
        || (u & 0xFFFE) == 0xFFFE
}

fn kind_of(c: char) -> &'static str {
    match c as u32 {
        0x00..=0x1F | 0x7F..=0x9F => "control character",
        0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD => "private-use character",
        u if (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE => "noncharacter",
        _ => "invisible formatting character",
    }
}

/// The Unicode names of the characters copy-paste most often brings in.
fn name_of(c: char) -> Option<&'static str> {
    Some(match c as u32 {
        0x00 => "NULL",
        0x7F => "DELETE",
        0xAD => "SOFT HYPHEN",
        0x200B => "ZERO WIDTH SPACE",
        0x200C => "ZERO WIDTH NON-JOINER",
        0x200D => "ZERO WIDTH JOINER",
        0x200E => "LEFT-TO-RIGHT MARK",
        0x200F => "RIGHT-TO-LEFT MARK",
        0x202A => "LEFT-TO-RIGHT EMBEDDING",
        0x202B => "RIGHT-TO-LEFT EMBEDDING",
        0x202C => "POP DIRECTIONAL FORMATTING",
        0x202D => "LEFT-TO-RIGHT OVERRIDE",
        0x202E => "RIGHT-TO-LEFT OVERRIDE",
        0x2060 => "WORD JOINER",
        0x2066 => "LEFT-TO-RIGHT ISOLATE",
        0x2067 => "RIGHT-TO-LEFT ISOLATE",
        0x2068 => "FIRST STRONG ISOLATE",
        0x2069 => "POP DIRECTIONAL ISOLATE",
        0xFEFF => "ZERO WIDTH NO-BREAK SPACE, the byte order mark",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(text: &str) -> String {
        parse(text).unwrap().key.into_owned()
    }

    fn why(text: &str) -> String {
        match parse(text) {
            Err(Problem::Bad(why)) => why,
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn plain_addresses_borrow_their_key() {
        let e = parse(" ann@example.com ").unwrap();
        assert_eq!(e.display, "ann@example.com");
        assert!(matches!(e.key, Cow::Borrowed("ann@example.com")));
        assert_eq!(key_of("Ann.Lee@Example.COM"), "ann.lee@example.com");
        assert_eq!(parse(""), Err(Problem::Empty));
    }

    #[test]
    fn one_key_for_every_way_of_writing_an_address() {
        // Composed and decomposed ë.
        assert_eq!(
            key_of("zo\u{eb}@example.com"),
            key_of("zoe\u{308}@example.com")
        );
        assert_eq!(key_of("ZO\u{cb}@example.com"), "zo\u{eb}@example.com");
        // IDNA: the Unicode domain and its ACE form.
        assert_eq!(key_of("ann@bücher.example"), "ann@xn--bcher-kva.example");
        assert_eq!(
            key_of("ann@XN--BCHER-KVA.example"),
            "ann@xn--bcher-kva.example"
        );
        // A full-width dot is a dot, for the "needs a dot" rule and for matching.
        assert_eq!(key_of("ann@example\u{ff0e}com"), "ann@example.com");
        assert_eq!(
            why("ann@example\u{ff0e}"),
            "the domain needs a dot between labels"
        );
    }

    #[test]
    fn invisible_characters_are_named_with_their_position() {
        assert_eq!(
            why("ann\u{200b}@example.com"),
            "invisible formatting character U+200B (ZERO WIDTH SPACE) at character 4"
        );
        assert_eq!(
            why("ann\u{1}@example.com"),
            "control character U+0001 at character 4"
        );
        assert_eq!(
            why("\u{7f}ann@example.com"),
            "control character U+007F (DELETE) at character 1"
        );
        assert_eq!(
            why("ann\u{9c}@example.com"),
            "control character U+009C at character 4"
        );
        assert!(why("an\u{feff}n@example.com").contains("U+FEFF"));
        assert!(why("ann@exa\u{202e}mple.com").contains("RIGHT-TO-LEFT OVERRIDE"));
        assert!(why("ann@example.com\u{2069}").contains("U+2069"));
        assert_eq!(
            why("ann\u{e000}@example.com"),
            "private-use character U+E000 at character 4"
        );
    }

    #[test]
    fn typos_are_refused_with_what_is_wrong() {
        for (text, want) in [
            (".ann@example.com", "the local part starts with a dot"),
            ("ann.@example.com", "the local part ends with a dot"),
            ("an..n@example.com", "two dots in a row in the local part"),
            (
                "ann@-example.com",
                "the domain label '-example' starts or ends with a hyphen",
            ),
            (
                "ann@example-.com",
                "the domain label 'example-' starts or ends with a hyphen",
            ),
            (
                "ann@my_host.example.com",
                "the domain label 'my_host' holds '_'",
            ),
            ("ann@example.123", "the top-level label '123' is a number"),
            ("ann@localhost", "the domain needs a dot between labels"),
            ("ann@[192.0.2.1]", "IP-literal domains are not accepted"),
            ("\"ann lee\"@example.com", "contains a space"),
            ("\"ann\"@example.com", "quoted local parts are not accepted"),
            (
                "ann(work)@example.com",
                "comments in an address are not accepted",
            ),
            (
                "<ann@example.com>",
                "wrapped address: use the bare address ann@example.com",
            ),
            (
                "mailto:ann@example.com",
                "wrapped address: use the bare address ann@example.com",
            ),
            (
                "Ann Lee <ann@example.com>",
                "wrapped address: use the bare address ann@example.com",
            ),
            ("ann@example@com", "more than one '@'"),
            ("ann.example.com", "no '@'"),
            ("@example.com", "empty local part"),
        ] {
            assert_eq!(why(text), want, "{text}");
        }
    }

    #[test]
    fn lengths_follow_rfc_5321() {
        let local = "a".repeat(64);
        assert!(parse(&format!("{local}@example.com")).is_ok());
        assert_eq!(
            why(&format!("a{local}@example.com")),
            "the local part is 65 characters long; it has at most 64"
        );
        let domain = format!("{}.com", vec!["d".repeat(60); 4].join("."));
        let at_limit = format!("{}@{}", "a".repeat(254 - 1 - domain.len()), domain);
        assert_eq!(at_limit.len(), 254);
        assert!(parse(&at_limit).is_ok());
        assert_eq!(
            why(&format!("a{at_limit}")),
            "255 characters long; an address has at most 254"
        );
        // A huge value is refused by its length before anything costs more.
        let huge = format!("{}@example.com", "a".repeat(100_000));
        assert!(why(&huge).starts_with("100012 characters long"));
    }

    /// Every address of isemail's test suite (Dominic Sayers, tests.xml 3.05), with the verdict
    /// rollcall intends: accepted when isemail calls it valid (or valid with only a DNS warning)
    /// and its domain has a dot; every other form (quoted strings, comments, folding white space,
    /// IP literals, obsolete syntax, over-long parts, errors) refused.
    #[test]
    fn the_isemail_suite_gets_its_intended_verdicts() {
        let fixture = include_str!("../tests/fixtures/isemail.jsonl");
        let mut wrong = Vec::new();
        let mut seen = 0;
        for line in fixture.lines() {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            let address = case["address"].as_str().unwrap();
            let accept = case["verdict"] == "accept";
            if parse(address).is_ok() != accept {
                wrong.push(format!("#{} {address:?}: {:?}", case["id"], parse(address)));
            }
            seen += 1;
        }
        assert_eq!(seen, 164);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn typed_lookups_use_the_same_key() {
        assert_eq!(
            key(" ZO\u{cb}@Bücher.example "),
            "zo\u{eb}@xn--bcher-kva.example"
        );
        assert_eq!(key("Not An Address"), "not an address");
    }
}
