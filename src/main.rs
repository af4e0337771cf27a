//! The `rollcall` binary: parse, dispatch, print the error once, exit with its code.

use clap::Parser;

fn main() {
    let cli = rollcall::cli::Cli::parse();
    if let Err(err) = rollcall::cmd::run(cli) {
        rollcall::cmd::stderr_line(&format!("rollcall: {err:#}"));
        std::process::exit(rollcall::error::exit_code(&err));
    }
}
