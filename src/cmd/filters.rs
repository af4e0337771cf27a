//! `rollcall filters`: every filter usable with `--filter`, built-in and the user's own.

use anyhow::Result;

use super::Ctx;
use crate::output::{self, Cell, Grid};

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let all = ctx.sql.filters()?;
    let grid = Grid {
        headers: ["filter", "description", "source"]
            .map(String::from)
            .to_vec(),
        rows: all
            .values()
            .map(|f| {
                vec![
                    Cell::Text(f.name.clone()),
                    Cell::Text(f.description()),
                    Cell::Text(f.origin.clone()),
                ]
            })
            .collect(),
    };
    super::emit(None, &output::table(&grid, output::terminal_width()))
}
