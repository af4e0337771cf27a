//! `rollcall config [COMMAND]`: the settings in force and where each came from (see
//! [`crate::config`]), as a table or JSON.

use anyhow::Result;
use serde_json::{json, Value};

use super::Ctx;
use crate::cli::{ConfigArgs, SummaryFormat};
use crate::config::{Setting, Settings};

pub(super) fn run(ctx: &Ctx, a: ConfigArgs) -> Result<()> {
    let s = &ctx.settings;
    let globals = s.globals_for(&a.command)?;
    let own = if a.command.is_empty() {
        Vec::new()
    } else {
        s.for_command(&a.command)?
    };
    let text = match a.format {
        SummaryFormat::Json => {
            let mut settings: Vec<Value> = globals.iter().map(|x| entry(x, "global")).collect();
            let scope = a.command.join(" ");
            settings.extend(own.iter().map(|x| entry(x, &scope)));
            let v = json!({
                "file": s.file.as_ref().map(|f| json!({
                    "path": f.path.display().to_string(),
                    "found": f.found.words(),
                })),
                "command": (!a.command.is_empty()).then(|| a.command.join(" ")),
                "settings": settings,
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        SummaryFormat::Table => {
            let mut out = format!("Configuration file: {}\n", file_line(s));
            out.push_str("\nGlobal settings\n");
            out.push_str(&table(&globals));
            if !a.command.is_empty() {
                out.push_str(&format!(
                    "\nSettings of `rollcall {}`\n",
                    a.command.join(" ")
                ));
                out.push_str(&table(&own));
            }
            out
        }
    };
    super::emit(None, &text)
}

/// Where the file is, or why there is none.
pub(super) fn file_line(s: &Settings) -> String {
    match &s.file {
        Some(f) => format!("{} ({})", f.path.display(), f.found.words()),
        None if s.disabled => "none (--no-config)".into(),
        None => {
            let user = crate::config::user_config_path()
                .map(|p| format!(" or {}", p.display()))
                .unwrap_or_default();
            format!("none (no ./{}{user})", crate::config::FILE_NAME)
        }
    }
}

fn shown(x: &Setting) -> String {
    match x.values.as_slice() {
        [] => "-".into(),
        values => values.join(","),
    }
}

fn table(rows: &[Setting]) -> String {
    let key_w = rows.iter().map(|x| x.key.len()).max().unwrap_or(0).max(3);
    let val_w = rows
        .iter()
        .map(|x| shown(x).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 48);
    let mut out = format!("  {:<key_w$}  {:<val_w$}  source\n", "key", "value");
    for x in rows {
        out.push_str(&format!(
            "  {:<key_w$}  {:<val_w$}  {}\n",
            x.key,
            shown(x),
            x.source.words()
        ));
    }
    out
}

fn entry(x: &Setting, scope: &str) -> Value {
    json!({
        "key": x.key,
        "flag": x.flag,
        "scope": scope,
        "value": match x.values.as_slice() {
            [] => Value::Null,
            [one] => one.as_str().into(),
            many => many.to_vec().into(),
        },
        "source": x.source.words(),
    })
}
