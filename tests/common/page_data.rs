//! The data a report page carries (`#rollcall-data`), decoded without a browser: base64, gzip,
//! then the header and its arrays as README's report section describes them. This is a second,
//! independent reading of the format `src/pack.rs` writes and `report-templates/data.js` reads,
//! so a test can check the page's users against the generator's truth with no Chromium.

use std::io::Read;

use serde_json::{json, Map, Value};

/// The page's data with every array descriptor replaced by a JSON array (`null` where unknown,
/// times as plain numbers) and the lower-cased companions (`name_lc`, …) beside their columns
/// (lower-cased by Rust here, by JavaScript in the page).
pub fn decode(html: &str) -> Value {
    let open = html.find("id=\"rollcall-data\"").expect("the data element");
    let tag_end = open + html[open..].find('>').expect("end of the tag");
    let tag = &html[html[..open].rfind('<').unwrap()..tag_end];
    assert!(
        tag.contains("type=\"application/octet-stream\"")
            && tag.contains("data-encoding=\"rollcall-columns-1+gzip+base64\""),
        "the data element says what it holds: {tag}"
    );
    let end = tag_end
        + html[tag_end..]
            .find("</script>")
            .expect("the element's end");
    let text = &html[tag_end + 1..end];
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&unbase64(text)[..])
        .read_to_end(&mut raw)
        .expect("gzip");
    let h = u32::from_le_bytes(raw[..4].try_into().unwrap()) as usize;
    let mut head: Value = serde_json::from_slice(&raw[4..4 + h]).expect("header JSON");
    let body = &raw[(4 + h).div_ceil(8) * 8..];
    for part in ["u", "d"] {
        let node = head[part].take();
        head[part] = unpack(body, node);
    }
    head
}

fn unbase64(text: &str) -> Vec<u8> {
    let digit = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            other => panic!("not base64: {:?}", other as char),
        }
    };
    let t = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(t.len() * 3 / 4);
    for chunk in t.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= digit(c) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// The numbers of a descriptor, `None` for null.
fn numbers(body: &[u8], d: &Value) -> Vec<Option<f64>> {
    let at = d["at"].as_u64().unwrap() as usize;
    let n = d["n"].as_u64().unwrap() as usize;
    let kind = d["@"].as_str().unwrap();
    let size = match kind {
        "u8" => 1,
        "u16" => 2,
        "u32" | "i32" => 4,
        "f64" => 8,
        other => panic!("unknown array type {other}"),
    };
    assert_eq!(at % size, 0, "aligned");
    let null = d["null"].as_f64();
    let mut total = 0.0;
    (0..n)
        .map(|i| {
            let b = &body[at + i * size..at + (i + 1) * size];
            let v = match kind {
                "u8" => f64::from(b[0]),
                "u16" => f64::from(u16::from_le_bytes(b.try_into().unwrap())),
                "u32" => f64::from(u32::from_le_bytes(b.try_into().unwrap())),
                "i32" => f64::from(i32::from_le_bytes(b.try_into().unwrap())),
                _ => f64::from_le_bytes(b.try_into().unwrap()),
            };
            if d["delta"] == json!(true) {
                total += v;
                return Some(total);
            }
            (Some(v) != null && !v.is_nan()).then_some(v)
        })
        .collect()
}

fn number(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9e15 => json!(x as i64),
        Some(x) => json!(x),
        None => Value::Null,
    }
}

/// The rows of a text descriptor.
fn strings(body: &[u8], d: &Value) -> Vec<Option<String>> {
    let at = d["utf8"][0].as_u64().unwrap() as usize;
    let len = d["utf8"][1].as_u64().unwrap() as usize;
    let text = std::str::from_utf8(&body[at..at + len]).expect("UTF-8");
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut values = Vec::new();
    let mut p = 0usize;
    for l in numbers(body, &d["lens"]) {
        let l = l.expect("a length") as usize;
        values.push(String::from_utf16(&units[p..p + l]).expect("whole characters"));
        p += l;
    }
    assert_eq!(p, units.len(), "the lengths cover the text");
    if d.get("codes").is_none() {
        return values.into_iter().map(Some).collect();
    }
    numbers(body, &d["codes"])
        .into_iter()
        .map(|c| c.map(|c| values[c as usize].clone()))
        .collect()
}

fn unpack(body: &[u8], node: Value) -> Value {
    let Value::Object(map) = node else {
        return node;
    };
    let mut out = Map::new();
    for (k, v) in map {
        match v["@"].as_str() {
            Some("str") => {
                let rows = strings(body, &v);
                if let Some(lower) = v["lower"].as_str() {
                    let lowered = rows
                        .iter()
                        .map(|r| json!(r.as_deref().map_or(String::new(), str::to_lowercase)))
                        .collect();
                    out.insert(lower.to_string(), Value::Array(lowered));
                }
                out.insert(k, rows.into_iter().map(|r| json!(r)).collect());
            }
            Some(_) => {
                out.insert(k, numbers(body, &v).into_iter().map(number).collect());
            }
            None => {
                out.insert(k, unpack(body, v));
            }
        }
    }
    Value::Object(out)
}
