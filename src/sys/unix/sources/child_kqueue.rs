//! Child exits on the kqueue systems: a private kqueue holding one `EVFILT_PROC` filter with
//! `NOTE_EXIT` for the child, readable once it exits; one descriptor per child and no signal
//! involved. A child that has already exited cannot be watched that way (the kernel answers
//! `ESRCH`): it gets the `SIGCHLD` watch (`child_sigchld.rs`), which finds the exit at once.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::child_sigchld::{exited, SigchldWatch};
use crate::sys::failpoints::syscall;

const NO_WAIT: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// A watch on one child's exit.
#[derive(Debug)]
pub(crate) enum ChildExit {
    Kqueue { pid: libc::pid_t, kq: OwnedFd },
    Sigchld(SigchldWatch),
}

impl ChildExit {
    /// Watches the child `pid`. `ECHILD` if it is not a child of this process or has been
    /// reaped already.
    pub(crate) fn new(pid: libc::pid_t) -> io::Result<ChildExit> {
        exited(pid)?;
        // SAFETY: kqueue takes no arguments; a non-negative result is a new fd we own.
        let kq = syscall!("kqueue", unsafe { libc::kqueue() })?;
        // SAFETY: `kq` was just created and is owned by nobody else, so the early returns
        // below close it.
        let kq = unsafe { OwnedFd::from_raw_fd(kq) };
        crate::sys::unix::set_cloexec(kq.as_fd())?;
        // SAFETY: kevent is a C struct of integers, a pointer (or integer) `udata` and, on
        // some systems, an array of integers; all-zero bytes are a valid value of each.
        let mut kev: libc::kevent = unsafe { std::mem::zeroed() };
        kev.ident = pid as libc::uintptr_t;
        kev.filter = libc::EVFILT_PROC as _;
        kev.flags = libc::EV_ADD | libc::EV_ONESHOT;
        kev.fflags = libc::NOTE_EXIT as _;
        // SAFETY: one live kevent is read; no eventlist is written; the timeout is live.
        let ret = syscall!("kevent", unsafe {
            libc::kevent(kq.as_raw_fd(), &kev, 1, std::ptr::null_mut(), 0, &NO_WAIT)
        });
        match ret {
            Ok(_) => Ok(ChildExit::Kqueue { pid, kq }),
            // Exited (a zombie) before the filter could be added.
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                SigchldWatch::new(pid).map(ChildExit::Sigchld)
            }
            Err(e) => Err(e),
        }
    }

    /// `Ok` once the child has exited (it is not reaped); `WouldBlock` before.
    pub(crate) fn check(&self) -> io::Result<()> {
        match self {
            // The one-shot event stays queued until collected, which this never does: the
            // kqueue stays readable after the exit, and waitid says whether it happened.
            ChildExit::Kqueue { pid, .. } => match exited(*pid)? {
                true => Ok(()),
                false => Err(io::ErrorKind::WouldBlock.into()),
            },
            ChildExit::Sigchld(watch) => watch.check(),
        }
    }
}

impl AsRawFd for ChildExit {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            ChildExit::Kqueue { kq, .. } => kq.as_raw_fd(),
            ChildExit::Sigchld(watch) => watch.as_raw_fd(),
        }
    }
}

impl AsFd for ChildExit {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            ChildExit::Kqueue { kq, .. } => kq.as_fd(),
            ChildExit::Sigchld(watch) => watch.as_fd(),
        }
    }
}
