//! The `rollcall` binary: parse (with the configuration file's values, see `config`), dispatch,
//! print the error once, exit with its code.

fn main() {
    let cli = rollcall::parse_args();
    if let Err(err) = rollcall::run(cli) {
        rollcall::stderr_line(&format!("rollcall: {err:#}"));
        std::process::exit(rollcall::exit_code(&err));
    }
}
