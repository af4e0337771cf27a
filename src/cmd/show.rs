//! `rollcall show EMAIL`: one user's details, as the console's User Details page shows them.

use anyhow::Result;

use super::Ctx;
use crate::cli::{ShowArgs, ShowFormat};
use crate::domain::DEVICE_COLUMNS;
use crate::output::{self, Grid};
use crate::read::Detail;

pub(super) fn run(ctx: &Ctx, a: ShowArgs) -> Result<()> {
    let reader = ctx.reader(&super::request(
        a.snapshot,
        a.as_of.as_deref(),
        a.window_days,
    )?)?;
    let d = reader.detail(&a.email)?;
    let text = match a.format {
        ShowFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
        ShowFormat::Text => text(&d),
    };
    super::emit(None, &text)
}

fn opt_time(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or("never".into(), |t| {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    })
}

fn text(d: &Detail) -> String {
    let mut out = format!(
        "{} <{}>\nStatus: {}\nLicense: {} · SCIM: {} · Last used: {} · Activity: {} · Hub: {}\n\n",
        d.name.as_deref().unwrap_or("(no name)"),
        d.email,
        d.status_label,
        d.license,
        if d.scim { "yes" } else { "no" },
        opt_time(&d.last_used),
        d.activity,
        d.hub
    );
    match d.status.as_str() {
        "no-license" => out.push_str(
            "No License: this user exists but has no license assigned.\n\
             Assign one in the Enpass Admin Console (Users → the user → Assign License); \
             they then appear as Pending User Action until they complete setup.\n",
        ),
        "pending" => {
            out.push_str("Pending User Action: onboarding progress\n");
            for s in &d.stages {
                let mark = match s.done {
                    Some(true) => "[x]",
                    Some(false) => "[ ]",
                    None => "[?]",
                };
                let when =
                    s.at.map(|t| format!(" ({})", t.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default();
                let unknown = if s.done.is_none() {
                    " (not in the export)"
                } else {
                    ""
                };
                out.push_str(&format!("  {mark} {}{when}{unknown}\n", s.label));
            }
            out.push_str(&format!("Reminder emails sent: {}\n", d.reminders_sent));
        }
        _ => {
            out.push_str(&format!(
                "Using Enpass: {} device{}\n",
                d.devices.len(),
                if d.devices.len() == 1 { "" } else { "s" }
            ));
        }
    }
    if d.status == "using" || !d.devices.is_empty() {
        let grid = Grid {
            headers: DEVICE_COLUMNS.map(String::from).to_vec(),
            rows: d
                .devices
                .iter()
                .map(|dv| {
                    use output::Cell;
                    vec![
                        dv.device_name.clone().map_or(Cell::Null, Cell::Text),
                        dv.platform.clone().map_or(Cell::Null, Cell::Text),
                        dv.enpass_version.clone().map_or(Cell::Null, Cell::Text),
                        dv.last_used.map_or(Cell::Text("never".into()), Cell::Time),
                        Cell::Bool(dv.hub_authenticated),
                    ]
                })
                .collect(),
        };
        if d.status != "using" {
            out.push_str("Devices\n");
        }
        out.push_str(&output::table(&grid, output::terminal_width()));
    }
    out
}
