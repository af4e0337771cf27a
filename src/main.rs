//! The `rollcall` binary: parse, dispatch, print the error once, exit with its code.

use clap::Parser;

fn main() {
    let cli = rollcall::Cli::parse();
    if let Err(err) = rollcall::run(cli) {
        rollcall::stderr_line(&format!("rollcall: {err:#}"));
        std::process::exit(rollcall::exit_code(&err));
    }
}
