//! Child exits without a per-process descriptor: the fallback for Linux before 5.3 (no
//! `pidfd_open`), the only way on the systems with neither pidfd nor kqueue (Android,
//! illumos, Solaris, Haiku, QNX, AIX), and for a child that has already exited when a
//! kqueue watch is asked for.
//!
//! The watch is a [`Signals`] watch on `SIGCHLD` (the same handler and notifier as the
//! public `Signals`), so every `SIGCHLD` wakes every such watch, and each one then checks its
//! own child with `waitid(WNOWAIT)`, which does not reap it. A child that has exited before
//! the watch existed is found by the same check at creation, which then wakes the notifier
//! itself.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::Signals;

/// A child-exit watch that `SIGCHLD` wakes.
#[derive(Debug)]
pub(crate) struct SigchldWatch {
    pid: libc::pid_t,
    signals: Signals,
}

impl SigchldWatch {
    pub(crate) fn new(pid: libc::pid_t) -> io::Result<SigchldWatch> {
        let signals = Signals::new(1 << (libc::SIGCHLD - 1))?;
        let watch = SigchldWatch { pid, signals };
        // After the watch exists, so that an exit is either seen here or signalled.
        if exited(pid)? {
            watch.signals.poke()?;
        }
        Ok(watch)
    }

    /// `Ok` once the child has exited (it is not reaped); `WouldBlock` before.
    pub(crate) fn check(&self) -> io::Result<()> {
        // Drained first: a SIGCHLD after this writes again.
        match self.signals.read() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        if exited(self.pid)? {
            Ok(())
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
}

impl AsRawFd for SigchldWatch {
    fn as_raw_fd(&self) -> RawFd {
        self.signals.as_raw_fd()
    }
}

impl AsFd for SigchldWatch {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.signals.as_fd()
    }
}

/// Whether the child `pid` has exited, without reaping it: `waitid(P_PID, WEXITED | WNOHANG |
/// WNOWAIT)`. `ECHILD` (not a child of this process, or already reaped) is the caller's
/// error.
pub(crate) fn exited(pid: libc::pid_t) -> io::Result<bool> {
    // SAFETY: an all-zero siginfo_t is a valid value; the kernel fills it in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // `pid` is positive (checked by `ChildExit::from_pid`), so it fits `id_t` on every
    // system (signed or unsigned, 32 or 64 bits).
    let id = pid as libc::id_t;
    loop {
        // SAFETY: `info` is a live siginfo_t for the kernel to write.
        let ret = crate::sys::failpoints::syscall!("waitid", unsafe {
            libc::waitid(
                libc::P_PID,
                id,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        });
        match ret {
            // With WNOHANG, a child that has not changed state leaves `info` zeroed; one that
            // has exited fills in SIGCHLD.
            Ok(_) => return Ok(info.si_signo == libc::SIGCHLD),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
