//! tiny_http behind the front: it listens on a Unix socket in a private temporary folder
//! (mode 0700, so no other local user can reach it and bypass the front), the front connects
//! to it once per checked request, and the workers take the parsed requests from it. Its
//! accept loop stops for good on the first error (EMFILE, say), or panics: the worker that sees
//! the error, or the front that finds the socket closed, starts a new listener in its place
//! ([`Backend::restart`]), so the server goes on.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

/// One tiny_http server on one socket.
pub(super) struct Listener {
    pub(super) http: tiny_http::Server,
    path: PathBuf,
}

pub(super) struct Backend {
    dir: tempfile::TempDir,
    current: Mutex<Arc<Listener>>,
    started: AtomicU64,
}

impl Backend {
    pub(super) fn start() -> Result<Backend> {
        // Only this user may enter the folder, so only this user can reach the socket in it.
        let dir = tempfile::Builder::new()
            .prefix("rollcall-serve-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .context("creating the server's private folder")?;
        let first = Backend::listen(&dir, 0)?;
        Ok(Backend {
            dir,
            current: Mutex::new(Arc::new(first)),
            started: AtomicU64::new(0),
        })
    }

    fn listen(dir: &tempfile::TempDir, n: u64) -> Result<Listener> {
        let path = dir.path().join(format!("http-{n}.sock"));
        let unix = UnixListener::bind(&path)
            .with_context(|| format!("listening on {}", path.display()))?;
        let http = tiny_http::Server::from_listener(unix, None)
            .map_err(|e| anyhow::anyhow!("starting the request parser: {e}"))?;
        Ok(Listener { http, path })
    }

    /// The listener requests arrive on now.
    pub(super) fn current(&self) -> Arc<Listener> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A connection to the current listener, for one request. tiny_http's accept thread can
    /// also die by panicking (it unwraps a failed `try_clone` when out of descriptors), which
    /// no worker ever hears of; its socket is then closed, so a refused connection here means
    /// the listener is gone: it is replaced, and the connection tried once more.
    pub(super) fn connect(&self) -> std::io::Result<UnixStream> {
        let listener = self.current();
        match UnixStream::connect(&listener.path) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                crate::util::stderr_line(&format!(
                    "rollcall: the request parser stopped ({e}); starting a new one"
                ));
                self.restart(&listener)
                    .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
                UnixStream::connect(&self.current().path)
            }
            other => other,
        }
    }

    /// Replaces `failed` (whose accept loop has stopped) with a new listener; a no-op if
    /// another worker already did. Requests queued on the old one are answered by the front
    /// with 502 when their connection closes.
    pub(super) fn restart(&self, failed: &Arc<Listener>) -> Result<()> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if !Arc::ptr_eq(&current, failed) {
            return Ok(());
        }
        let n = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let next = Backend::listen(&self.dir, n)?;
        let _ = std::fs::remove_file(&failed.path);
        *current = Arc::new(next);
        Ok(())
    }

    /// The private folder, removed when the server stops on a signal.
    pub(super) fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_socket_is_in_a_folder_only_this_user_enters() {
        let backend = Backend::start().unwrap();
        let mode = std::fs::metadata(backend.dir())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(backend.connect().is_ok());
        let dir = backend.dir();
        drop(backend);
        assert!(!dir.exists(), "removed when the server goes");
    }
}
