//! Ctrl-C (SIGINT) and SIGTERM stop `serve` cleanly: the signal handler only writes a byte to
//! a pipe (all a handler may safely do), a thread waiting on the pipe removes the server's
//! private folder, says so on stderr and ends the process with status 0. Nothing else needs
//! undoing: the server writes nothing but that folder, and the database is open read-only.
//! Also the open-file limit, which the front sizes itself by.

use std::io::Read;
use std::os::fd::IntoRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result};

/// The pipe's writing end, for the handler.
static WAKE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_: libc::c_int) {
    let fd = WAKE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is a live local byte.
        unsafe {
            libc::write(fd, (&raw const byte).cast(), 1);
        }
    }
}

/// Installs the handlers; on a signal, removes `private` and exits 0.
pub(super) fn stop_cleanly_on_signal(private: PathBuf) -> Result<()> {
    let (mut reader, writer) = std::io::pipe().context("creating the signal pipe")?;
    WAKE.store(writer.into_raw_fd(), Ordering::SeqCst);
    std::thread::Builder::new()
        .name("rollcall-signals".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            let _ = reader.read(&mut byte);
            let _ = std::fs::remove_dir_all(&private);
            crate::util::stderr_line("rollcall: stopped");
            // SAFETY: _exit ends the process at once, without running other threads' code
            // or static destructors while workers may still be inside DuckDB.
            unsafe { libc::_exit(0) }
        })
        .context("starting the signal thread")?;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is valid; the handler is an `extern "C"` fn that only
        // calls write(2); SA_RESTART keeps other threads' system calls from failing with EINTR.
        let ok = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut()) == 0
        };
        if !ok {
            return Err(std::io::Error::last_os_error()).context("installing a signal handler");
        }
    }
    Ok(())
}

/// Raises the soft limit on open files to the hard limit (as servers commonly do) and returns
/// the limit in force, which bounds how many clients the front admits.
pub(super) fn open_file_limit() -> usize {
    // SAFETY: getrlimit/setrlimit with a valid, owned struct.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
        usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX)
    }
}
