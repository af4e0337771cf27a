//! The report page's data in a compact form: columns of little-endian integers and UTF-8 text
//! after a JSON header, gzip-compressed and base64-encoded into the page, where
//! `report-templates/data.js` inflates them with the browser's own `DecompressionStream` and
//! rebuilds the plain arrays `report.js` reads. A million users fit in about 30 MB of page.
//!
//! The payload, once inflated (the contract between this file and `data.js`; README's report
//! section describes it too):
//! - a `u32` (little-endian): the length `h` of the header;
//! - `h` bytes of UTF-8 JSON, the header: the page's data with each array replaced by a
//!   *descriptor* (an object with an `"@"` key);
//! - zero bytes up to a multiple of 8, where the *body* starts. Every array in the body starts
//!   at a multiple of 8 from there, so the page views it in place (a typed array must be aligned
//!   to its element size).
//!
//! Descriptors:
//! - `{"@": T, "at": A, "n": N}` with T one of `u8`, `u16`, `u32`, `i32`, `f64`: N numbers of
//!   type T at body offset A. `"null": S` names the value that stands for null (an `f64` NaN is
//!   always null); `"delta": true` means each value is the running total of the stored ones
//!   (how the devices' start offsets travel as their counts). The page makes a plain array of
//!   numbers and nulls, unless `"as"` says otherwise: `"f64"`, a `Float64Array` with NaN for
//!   null (times: a million of them as plain numbers would be a million heap objects to
//!   allocate and collect); `"typed"`, a copy of the stored typed array with the null marker
//!   left in it (codes and counts, which the page reads as indexes, so a marker past every
//!   value is unknown), running totals in a `Float64Array`.
//! - `{"@": "str", "utf8": [A, B], "lens": L, "codes": C}`: text. The B bytes at body offset A
//!   hold the distinct values end to end, in UTF-8; L (a number descriptor) gives each value's
//!   length in UTF-16 code units, JavaScript's string length, so the page decodes the text once
//!   and slices it. With C (a number descriptor, null allowed), row i is value `C[i]`; without
//!   it, row i is value i. `"lower": K` asks the page to put the rows lower-cased at key K
//!   beside the column (each distinct value lowered once; search needs them).

use std::io::Write;

use anyhow::Result;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use hashbrown::{DefaultHashBuilder, HashTable};
use serde::Serialize;
use serde_json::{json, Value};

/// What the page's data element says it holds (its `data-encoding` attribute); `data.js`
/// refuses anything else, so a page and a decoder of different versions fail loudly.
pub(crate) const ENCODING: &str = "rollcall-columns-1+gzip+base64";

/// Small non-negative values or null (flags, dimension codes): one byte each, 255 for null.
#[derive(Debug, Default, Clone)]
pub(crate) struct Bytes(Vec<u8>);

impl Bytes {
    pub(crate) const NULL: u8 = u8::MAX;

    /// `v` must be below 255 (the null marker).
    pub(crate) fn push(&mut self, v: Option<u8>) {
        debug_assert!(v != Some(Self::NULL), "255 is the null marker");
        self.0.push(v.unwrap_or(Self::NULL));
    }

    pub(crate) fn gather(&self, order: &[u32]) -> Bytes {
        Bytes(order.iter().map(|&i| self.0[i as usize]).collect())
    }
}

/// Integers or null (times in seconds, counts, codes), stored in the narrowest type that holds
/// them when packed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ints(Vec<i64>);

impl Ints {
    /// `i64::MIN` marks null here: no value the report holds comes near it.
    const NULL: i64 = i64::MIN;

    pub(crate) fn push(&mut self, v: Option<i64>) {
        self.0
            .push(v.filter(|&x| x != Self::NULL).unwrap_or(Self::NULL));
    }

    pub(crate) fn gather(&self, order: &[u32]) -> Ints {
        Ints(order.iter().map(|&i| self.0[i as usize]).collect())
    }
}

/// Text or null, interned: each distinct value is stored once and rows are codes into them, so
/// repeated names cost a code each and the page slices each distinct value once. A column whose
/// values are distinct anyway ([`Strs::unique`], the emails) skips the table: a million hash
/// look-ups for nothing were a tenth of writing a million users' page.
#[derive(Default)]
pub(crate) struct Strs {
    /// Stores every value as it comes, without looking it up (see [`Strs::unique`]).
    unique: bool,
    utf8: Vec<u8>,
    /// Where each distinct value starts in `utf8` (it ends where the next starts).
    starts: Vec<usize>,
    /// Each distinct value's length in UTF-16 code units.
    lens: Vec<i64>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// One per row: the value's index, `u32::MAX` for null.
    codes: Vec<u32>,
}

impl Strs {
    fn value(&self, k: u32) -> &[u8] {
        let k = k as usize;
        let end = self.starts.get(k + 1).copied().unwrap_or(self.utf8.len());
        &self.utf8[self.starts[k]..end]
    }

    /// Row `i`'s value as bytes (`None` for null); compared, they order as DuckDB orders text.
    pub(crate) fn row(&self, i: u32) -> Option<&[u8]> {
        let k = self.codes[i as usize];
        (k != u32::MAX).then(|| self.value(k))
    }

    /// A column whose values are expected to be distinct: each is stored as it comes (a repeat
    /// is stored again, which costs bytes, never correctness), and [`find`](Self::find) finds
    /// nothing.
    pub(crate) fn unique() -> Strs {
        Strs {
            unique: true,
            ..Strs::default()
        }
    }

    fn add(&mut self, s: &str) -> u32 {
        let k = u32::try_from(self.starts.len()).expect("fewer than 2^32 distinct values");
        self.starts.push(self.utf8.len());
        self.utf8.extend_from_slice(s.as_bytes());
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.lens.push(units as i64);
        k
    }

    /// The code of `s`, adding it if it is new.
    fn intern(&mut self, s: &str) -> u32 {
        use std::hash::BuildHasher;
        if self.unique {
            return self.add(s);
        }
        let hash = self.hasher.hash_one(s.as_bytes());
        let found = {
            let me = &*self;
            me.table
                .find(hash, |&k| me.value(k) == s.as_bytes())
                .copied()
        };
        if let Some(k) = found {
            return k;
        }
        let k = self.add(s);
        let (starts, utf8, hasher) = (&self.starts, &self.utf8, &self.hasher);
        self.table.insert_unique(hash, k, |&j| {
            let j = j as usize;
            let end = starts.get(j + 1).copied().unwrap_or(utf8.len());
            hasher.hash_one(&utf8[starts[j]..end])
        });
        k
    }

    /// Appends a row; the code of its value (`u32::MAX` for null). Codes are given in order of
    /// first appearance, so a new value's code is the number of distinct values before it.
    pub(crate) fn push(&mut self, s: Option<&str>) -> u32 {
        let code = s.map_or(u32::MAX, |s| self.intern(s));
        self.codes.push(code);
        code
    }

    /// The code of `s`, if a row holds it.
    pub(crate) fn find(&self, s: &str) -> Option<u32> {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(s.as_bytes());
        self.table
            .find(hash, |&k| self.value(k) == s.as_bytes())
            .copied()
    }

    pub(crate) fn gather(self, order: &[u32]) -> Strs {
        let codes = order.iter().map(|&i| self.codes[i as usize]).collect();
        Strs { codes, ..self }
    }
}

/// The body under construction: arrays in order, each padded to a multiple of 8 bytes.
#[derive(Default)]
pub(crate) struct Body {
    arrays: Vec<Vec<u8>>,
    len: usize,
}

fn pad8(n: usize) -> usize {
    (8 - n % 8) % 8
}

impl Body {
    fn place(&mut self, bytes: Vec<u8>) -> usize {
        let at = self.len;
        self.len += bytes.len() + pad8(bytes.len());
        self.arrays.push(bytes);
        at
    }

    /// Places one-byte values; their descriptor.
    pub(crate) fn bytes(&mut self, col: Bytes) -> Value {
        let n = col.0.len();
        let null = col.0.contains(&Bytes::NULL);
        let at = self.place(col.0);
        let mut d = json!({"@": "u8", "at": at, "n": n});
        if null {
            d["null"] = json!(Bytes::NULL);
        }
        d
    }

    /// Places integers in the narrowest of u8, u16, u32, i32 and f64 that holds them (keeping
    /// the type's largest value, or i32's smallest, free for null); their descriptor.
    pub(crate) fn ints(&mut self, col: Ints) -> Value {
        let vals = col.0;
        let nulls = vals.contains(&Ints::NULL);
        let (mut lo, mut hi) = (0i64, 0i64);
        for &v in vals.iter().filter(|&&v| v != Ints::NULL) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let n = vals.len();
        // (type, its null marker) for values in lo..=hi.
        let fits = |max: i64| lo >= 0 && (hi < max || (!nulls && hi == max));
        let (kind, null, bytes): (&str, Option<i64>, Vec<u8>) = if fits(u8::MAX.into()) {
            let b = vals
                .iter()
                .map(|&v| if v == Ints::NULL { u8::MAX } else { v as u8 })
                .collect();
            ("u8", Some(u8::MAX.into()), b)
        } else if fits(u16::MAX.into()) {
            let mut b = Vec::with_capacity(n * 2);
            for &v in &vals {
                let x = if v == Ints::NULL { u16::MAX } else { v as u16 };
                b.extend_from_slice(&x.to_le_bytes());
            }
            ("u16", Some(u16::MAX.into()), b)
        } else if fits(u32::MAX.into()) {
            let mut b = Vec::with_capacity(n * 4);
            for &v in &vals {
                let x = if v == Ints::NULL { u32::MAX } else { v as u32 };
                b.extend_from_slice(&x.to_le_bytes());
            }
            ("u32", Some(u32::MAX.into()), b)
        } else if lo > i32::MIN.into() && hi <= i32::MAX.into() {
            let mut b = Vec::with_capacity(n * 4);
            for &v in &vals {
                let x = if v == Ints::NULL { i32::MIN } else { v as i32 };
                b.extend_from_slice(&x.to_le_bytes());
            }
            ("i32", Some(i32::MIN.into()), b)
        } else {
            // Exact for every time chrono can hold (about ±2^38 seconds) and any count.
            let mut b = Vec::with_capacity(n * 8);
            for &v in &vals {
                let x = if v == Ints::NULL { f64::NAN } else { v as f64 };
                b.extend_from_slice(&x.to_le_bytes());
            }
            ("f64", None, b)
        };
        drop(vals);
        let at = self.place(bytes);
        let mut d = json!({"@": kind, "at": at, "n": n});
        if let (true, Some(s)) = (nulls, null) {
            d["null"] = json!(s);
        }
        d
    }

    /// Marks a number descriptor for the page to keep as a typed array (see the module's docs).
    pub(crate) fn typed(mut d: Value) -> Value {
        d["as"] = json!("typed");
        d
    }

    /// Places times (Unix seconds) as integers that the page reads into a `Float64Array`, NaN
    /// for null; their descriptor.
    pub(crate) fn times(&mut self, col: Ints) -> Value {
        let mut d = self.ints(col);
        d["as"] = json!("f64");
        d
    }

    /// Places running totals (non-decreasing, no null) as their differences; their descriptor.
    pub(crate) fn offsets(&mut self, totals: &[u64]) -> Value {
        let mut steps = Ints::default();
        let mut prev = 0u64;
        for &t in totals {
            steps.push(Some(t.checked_sub(prev).expect("non-decreasing") as i64));
            prev = t;
        }
        let mut d = self.ints(steps);
        d["delta"] = json!(true);
        d
    }

    /// Places text; its descriptor. Codes are left out when row i is simply value i.
    pub(crate) fn strs(&mut self, col: Strs) -> Value {
        let Strs {
            utf8, lens, codes, ..
        } = col;
        let bytes = utf8.len();
        let at = self.place(utf8);
        let lens = self.ints(Ints(lens));
        let identity = codes.iter().enumerate().all(|(i, &c)| c as usize == i);
        let mut d = json!({"@": "str", "utf8": [at, bytes], "lens": lens});
        if !identity {
            let codes = Ints(
                codes
                    .into_iter()
                    .map(|c| if c == u32::MAX { Ints::NULL } else { c.into() })
                    .collect(),
            );
            d["codes"] = self.ints(codes);
        }
        d
    }

    /// As [`strs`](Self::strs), and the page puts the rows lower-cased (as JavaScript's
    /// `toLowerCase`, '' for null) at `key` beside the column: search needs them.
    pub(crate) fn strs_lowered(&mut self, col: Strs, key: &str) -> Value {
        let mut d = self.strs(col);
        d["lower"] = json!(key);
        d
    }

    /// The payload (header length, header, padding, body) as one gzip member, compressed at
    /// `level` in two halves on two threads (as pigz does): the first half ends with a sync
    /// flush, so the second's raw deflate follows it byte-aligned, and the CRCs combine. Each
    /// half refers back only within itself, so any inflater reads the pair as one stream; a
    /// million users compress in about half the time.
    pub(crate) fn finish(self, header: &impl Serialize, level: u32) -> Result<Vec<u8>> {
        const ZEROS: [u8; 8] = [0; 8];
        let head = serde_json::to_vec(header)?;
        let len = u32::try_from(head.len())?.to_le_bytes();
        let mut parts: Vec<&[u8]> = vec![&len, &head, &ZEROS[..pad8(4 + head.len())]];
        for a in &self.arrays {
            parts.push(a);
            parts.push(&ZEROS[..pad8(a.len())]);
        }
        let total: usize = parts.iter().map(|p| p.len()).sum();
        // The first parts holding at least half the bytes, and the rest.
        let mut split = 0;
        let mut seen = 0;
        while split < parts.len() && seen < total / 2 {
            seen += parts[split].len();
            split += 1;
        }
        let (first, second) = parts.split_at(split);
        let deflate = |parts: &[&[u8]], last: bool| -> Result<(Vec<u8>, flate2::Crc)> {
            let bytes: usize = parts.iter().map(|p| p.len()).sum();
            // About a third of the raw size in practice; the Vec grows if not.
            let mut z = DeflateEncoder::new(Vec::with_capacity(bytes / 3), Compression::new(level));
            let mut crc = flate2::Crc::new();
            for p in parts {
                crc.update(p);
                z.write_all(p)?;
            }
            let out = if last {
                z.finish()?
            } else {
                // A sync flush ends the half byte-aligned without a final block; the encoder's
                // own final block, written on drop, goes to the emptied Vec and is dropped.
                z.flush()?;
                std::mem::take(z.get_mut())
            };
            Ok((out, crc))
        };
        let ((a, mut crc), (b, crc_b)) = std::thread::scope(|s| -> Result<_> {
            let second = std::thread::Builder::new()
                .name("report-gzip".into())
                .spawn_scoped(s, || deflate(second, true))?;
            let first = deflate(first, false)?;
            let second = second
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
            Ok((first, second))
        })?;
        crc.combine(&crc_b);
        // RFC 1952: magic, deflate, no flags, no time, no extra flags, unknown OS.
        let mut gz = Vec::with_capacity(10 + a.len() + b.len() + 8);
        gz.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        gz.extend_from_slice(&a);
        gz.extend_from_slice(&b);
        gz.extend_from_slice(&crc.sum().to_le_bytes());
        gz.extend_from_slice(&(total as u32).to_le_bytes());
        Ok(gz)
    }
}

/// Standard base64 (RFC 4648, with padding), as CSP hashes and `Uint8Array.fromBase64` want it.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend_from_slice(&[
            T[(n >> 18) as usize & 63],
            T[(n >> 12) as usize & 63],
            T[(n >> 6) as usize & 63],
            T[n as usize & 63],
        ]);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let b1 = rest.get(1).copied().unwrap_or(0);
        let n = (u32::from(rest[0]) << 16) | (u32::from(b1) << 8);
        out.push(T[(n >> 18) as usize & 63]);
        out.push(T[(n >> 12) as usize & 63]);
        out.push(if rest.len() == 2 {
            T[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(b'=');
    }
    String::from_utf8(out).expect("base64 is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn inflate(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn base64_known_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    /// A known small input gives known bytes: the header's descriptors and the body's layout.
    #[test]
    fn known_columns_pack_to_known_bytes() {
        let mut body = Body::default();
        let mut flags = Bytes::default();
        for v in [Some(1), None, Some(0)] {
            flags.push(v);
        }
        let mut small = Ints::default();
        for v in [Some(3), Some(254), None] {
            small.push(v);
        }
        let mut secs = Ints::default();
        for v in [Some(-1), None, Some(1_800_000_000)] {
            secs.push(v);
        }
        let mut far = Ints::default();
        for v in [Some(253_402_300_799), None] {
            far.push(v);
        }
        let mut names = Strs::default();
        for v in [Some("é"), None, Some("😀"), Some("é")] {
            names.push(v);
        }
        let mut emails = Strs::default();
        for v in ["a@x", "b@x"] {
            emails.push(Some(v));
        }
        let header = json!({
            "n": 3,
            "u": {
                "flag": body.bytes(flags),
                "small": body.ints(small),
                "secs": body.times(secs),
                "far": body.ints(far),
                "dev0": Body::typed(body.offsets(&[0, 2, 2])),
                "name": body.strs(names),
                "email": body.strs(emails),
            }
        });
        assert_eq!(
            header["u"],
            json!({
                "flag": {"@": "u8", "at": 0, "n": 3, "null": 255},
                "small": {"@": "u8", "at": 8, "n": 3, "null": 255},
                "secs": {"@": "i32", "at": 16, "n": 3, "null": -2147483648i64, "as": "f64"},
                "far": {"@": "f64", "at": 32, "n": 2},
                "dev0": {"@": "u8", "at": 48, "n": 3, "delta": true, "as": "typed"},
                "name": {
                    "@": "str", "utf8": [56, 6],
                    "lens": {"@": "u8", "at": 64, "n": 2},
                    "codes": {"@": "u8", "at": 72, "n": 4, "null": 255},
                },
                "email": {"@": "str", "utf8": [80, 6], "lens": {"@": "u8", "at": 88, "n": 2}},
            })
        );
        let payload = inflate(&body.finish(&header, 6).unwrap());
        let head = serde_json::to_vec(&header).unwrap();
        let h = head.len();
        assert_eq!(payload[..4], (h as u32).to_le_bytes());
        assert_eq!(payload[4..4 + h], head[..]);
        let start = (4 + h).div_ceil(8) * 8;
        assert!(payload[4 + h..start].iter().all(|&b| b == 0));
        let b = &payload[start..];
        assert_eq!(b.len(), 96);
        assert_eq!(b[0..8], [1, 255, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b[8..16], [3, 254, 255, 0, 0, 0, 0, 0]);
        let i32s: Vec<i32> = b[16..28]
            .chunks(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(i32s, [-1, i32::MIN, 1_800_000_000]);
        assert_eq!(
            f64::from_le_bytes(b[32..40].try_into().unwrap()),
            253_402_300_799.0
        );
        assert!(f64::from_le_bytes(b[40..48].try_into().unwrap()).is_nan());
        assert_eq!(b[48..51], [0, 2, 0], "offsets 0, 2, 2 as steps");
        assert_eq!(&b[56..62], "é😀".as_bytes());
        assert_eq!(b[64..66], [1, 2], "UTF-16 lengths: é is one unit, 😀 two");
        assert_eq!(b[72..76], [0, 255, 1, 0]);
        assert_eq!(&b[80..86], b"a@xb@x");
        assert_eq!(b[88..90], [3, 3]);
    }

    /// The two halves compressed apart make one gzip member that inflates (CRC and length
    /// checked) to the payload, whichever array the split falls in.
    #[test]
    fn two_halves_make_one_gzip_member() {
        let mut body = Body::default();
        let mut expected = Vec::new();
        let mut x = 7u32;
        let mut descriptors = Vec::new();
        for n in [3, 70_000, 5, 120_000, 1] {
            let mut col = Ints::default();
            let mut bytes = Vec::new();
            for _ in 0..n {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let v = i64::from(x >> 8) & 0x7fff_ffff;
                col.push(Some(v));
                bytes.extend_from_slice(&(v as u32).to_le_bytes());
            }
            bytes.resize(bytes.len().div_ceil(8) * 8, 0);
            expected.extend_from_slice(&bytes);
            descriptors.push(body.ints(col));
        }
        let header = json!({"u": descriptors});
        let gz = body.finish(&header, 3).unwrap();
        assert_eq!(gz[..4], [0x1f, 0x8b, 8, 0]);
        let payload = inflate(&gz);
        let h = serde_json::to_vec(&header).unwrap().len();
        let start = (4 + h).div_ceil(8) * 8;
        assert_eq!(payload[start..], expected[..]);
        assert_eq!(
            u32::from_le_bytes(gz[gz.len() - 4..].try_into().unwrap()) as usize,
            payload.len()
        );
    }

    #[test]
    fn integers_take_the_narrowest_type_that_keeps_null_free() {
        let kind = |vals: &[Option<i64>]| {
            let mut c = Ints::default();
            vals.iter().for_each(|&v| c.push(v));
            Body::default().ints(c)["@"].as_str().unwrap().to_string()
        };
        assert_eq!(kind(&[Some(255)]), "u8");
        assert_eq!(kind(&[Some(255), None]), "u16");
        assert_eq!(kind(&[Some(65_535)]), "u16");
        assert_eq!(kind(&[Some(65_535), None]), "u32");
        assert_eq!(kind(&[Some(-1)]), "i32");
        assert_eq!(kind(&[Some(i32::MIN.into())]), "f64");
        assert_eq!(kind(&[Some(4_294_967_295), None]), "f64");
        assert_eq!(kind(&[]), "u8");
    }

    #[test]
    fn strings_are_interned_and_found_by_row() {
        let mut s = Strs::default();
        let codes: Vec<u32> = ["b", "a", "b", "c"].map(|v| s.push(Some(v))).into();
        assert_eq!(codes, [0, 1, 0, 2]);
        assert_eq!(s.push(None), u32::MAX);
        assert_eq!(s.codes, [0, 1, 0, 2, u32::MAX]);
        assert_eq!(s.find("a"), Some(1));
        assert_eq!(s.find("c"), Some(2));
        assert_eq!(s.find("z"), None);
        let g = s.gather(&[3, 0, 4]);
        assert_eq!(g.codes, [2, 0, u32::MAX]);

        let mut u = Strs::unique();
        let codes: Vec<u32> = ["a", "b", "a"].map(|v| u.push(Some(v))).into();
        assert_eq!(codes, [0, 1, 2], "a repeat is stored again");
        assert_eq!(u.find("a"), None);
        let d = Body::default().strs(u);
        assert!(d.get("codes").is_none(), "row i is value i: {d}");
    }
}
