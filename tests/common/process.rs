//! The one way a test starts a child process that outlives a single call (`rollcall serve`, a
//! paused `rollcall ingest`, Chromium): [`spawn`] returns a [`Running`] that kills and reaps the
//! child when dropped, so a failing assertion never leaves a process behind. One-shot runs of the
//! binary go through [`super::Env::cmd`]; every `rollcall` command is built by
//! [`super::Env::std_cmd`].

use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, Output};

/// A started child, killed and reaped on drop unless it was waited for.
pub struct Running {
    child: Option<Child>,
    what: String,
}

/// Starts `cmd`; panics naming `what` if it cannot be started.
pub fn spawn(what: &str, cmd: &mut Command) -> Running {
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    Running {
        child: Some(child),
        what: what.to_string(),
    }
}

impl Running {
    /// Waits for the child to exit and collects the pipes it still has.
    pub fn wait_with_output(mut self) -> Output {
        let what = std::mem::take(&mut self.what);
        let child = self.child.take().expect("a running child");
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("waiting for {what}: {e}"))
    }

    /// Kills the child (SIGKILL) and reaps it.
    pub fn kill_now(&mut self) {
        let child = self.child.as_mut().expect("a running child");
        child
            .kill()
            .unwrap_or_else(|e| panic!("killing {}: {e}", self.what));
        child
            .wait()
            .unwrap_or_else(|e| panic!("reaping {}: {e}", self.what));
    }
}

impl Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        self.child.as_ref().expect("a running child")
    }
}

impl DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("a running child")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}
