//! Errors a caller must tell apart, because they map to distinct exit codes.
//! Everything else is an `anyhow::Error` with context naming the file or flag.

use std::fmt;
use std::time::Duration;

/// A problem with an input file as a whole (missing, empty, binary, wrong encoding, no email column):
/// one line that starts with the file's name. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputError {
    pub(crate) file: String,
    pub(crate) message: String,
}

impl InputError {
    pub(crate) fn new(file: &str, message: String) -> Self {
        InputError {
            file: file.to_string(),
            message,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for InputError {}

/// Errors with their own exit codes.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// Wrong values on the command line that clap cannot check (filter values, unknown email…).
    #[error("{0}")]
    Usage(String),
    /// `--strict` saw rejects: nothing was written.
    #[error("{0}")]
    Rejected(String),
    /// A user asked for by email is not in the snapshot: a usage error for the CLI, a 404 for
    /// the server, which also shows the closest emails.
    #[error("{message}")]
    NotFound {
        message: String,
        suggestions: Vec<String>,
    },
    /// Another process holds the database (or, for a writer, another writer waits for it), and
    /// still did after `waited` (an ingest's `--wait`; `None`: not waited for).
    #[error("{}", busy_text(path, *pid, *waited))]
    Busy {
        path: String,
        pid: Option<u32>,
        waited: Option<Duration>,
    },
}

fn busy_text(path: &str, pid: Option<u32>, waited: Option<Duration>) -> String {
    let who = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
    match waited {
        None => format!(
            "database is in use by another process{who}: {path}; wait for it to finish or use another --db"
        ),
        Some(w) => format!(
            "database is in use by another process{who}: {path}; still in use after waiting {} (--wait); try again later, wait longer or use another --db",
            crate::bounds::show_duration(w)
        ),
    }
}

/// Exit codes, documented in README.
pub(crate) const EXIT_FAILURE: i32 = 1;
pub(crate) const EXIT_BAD_INPUT: i32 = 2;
pub(crate) const EXIT_BUSY: i32 = 3;

/// Chooses the exit code for an error that reached `main`.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.downcast_ref::<InputError>().is_some() {
            return EXIT_BAD_INPUT;
        }
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return match f {
                Failure::Usage(_) | Failure::Rejected(_) | Failure::NotFound { .. } => {
                    EXIT_BAD_INPUT
                }
                Failure::Busy { .. } => EXIT_BUSY,
            };
        }
    }
    EXIT_FAILURE
}
