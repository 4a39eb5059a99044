//! Child exits on Linux and Android: a pidfd (`pidfd_open`, Linux 5.3), which becomes
//! readable when the process exits, one descriptor per child and no signal involved. Where
//! the kernel has no `pidfd_open` (ENOSYS, or EPERM from a seccomp filter that does not know
//! it), that is remembered in one atomic flag and every later watch uses the `SIGCHLD`
//! fallback (`child_sigchld.rs`).
//!
//! Android is left to the fallback: its app sandbox kills a process that makes a system call
//! missing from its list, as older versions would for this one.

use std::io;
#[cfg(ferrio_pidfd)]
use std::os::fd::FromRawFd;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
#[cfg(ferrio_pidfd)]
use std::sync::atomic::{AtomicBool, Ordering};

use super::child_sigchld::{exited, SigchldWatch};

/// Whether `pidfd_open` may exist: cleared for good by its first ENOSYS or EPERM.
#[cfg(ferrio_pidfd)]
static PIDFD: AtomicBool = AtomicBool::new(true);

/// A watch on one child's exit.
#[derive(Debug)]
pub(crate) enum ChildExit {
    // Never made on Android (see above).
    #[cfg_attr(not(ferrio_pidfd), allow(dead_code))]
    Pidfd {
        pid: libc::pid_t,
        fd: OwnedFd,
    },
    Sigchld(SigchldWatch),
}

impl ChildExit {
    /// Watches the child `pid`. `ECHILD` if it is not a child of this process or has been
    /// reaped already.
    pub(crate) fn new(pid: libc::pid_t) -> io::Result<ChildExit> {
        // Refuses what is not an unreaped child of ours before anything is made.
        exited(pid)?;
        #[cfg(ferrio_pidfd)]
        if PIDFD.load(Ordering::Relaxed) {
            if let Some(fd) = pidfd_open(pid)? {
                return Ok(ChildExit::Pidfd { pid, fd });
            }
        }
        SigchldWatch::new(pid).map(ChildExit::Sigchld)
    }

    /// `Ok` once the child has exited (it is not reaped); `WouldBlock` before.
    pub(crate) fn check(&self) -> io::Result<()> {
        match self {
            // The pidfd stays readable once the child has exited; waitid says whether it has.
            ChildExit::Pidfd { pid, .. } => match exited(*pid)? {
                true => Ok(()),
                false => Err(io::ErrorKind::WouldBlock.into()),
            },
            ChildExit::Sigchld(watch) => watch.check(),
        }
    }
}

/// A pidfd for `pid`, or `None` if the kernel has no `pidfd_open` (remembered).
#[cfg(ferrio_pidfd)]
fn pidfd_open(pid: libc::pid_t) -> io::Result<Option<OwnedFd>> {
    // SAFETY: pidfd_open takes two integers and no pointers; a non-negative result is a new
    // close-on-exec fd.
    let ret = crate::sys::failpoints::syscall!("pidfd_open", unsafe {
        libc::syscall(
            libc::SYS_pidfd_open,
            libc::c_long::from(pid),
            0 as libc::c_long,
        )
    });
    match ret {
        Ok(fd) => {
            // SAFETY: `fd` is a new fd owned by nobody else (an fd number fits a c_int).
            Ok(Some(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
        }
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
            PIDFD.store(false, Ordering::Relaxed);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

impl AsRawFd for ChildExit {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            ChildExit::Pidfd { fd, .. } => fd.as_raw_fd(),
            ChildExit::Sigchld(watch) => watch.as_raw_fd(),
        }
    }
}

impl AsFd for ChildExit {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            ChildExit::Pidfd { fd, .. } => fd.as_fd(),
            ChildExit::Sigchld(watch) => watch.as_fd(),
        }
    }
}

/// Whether the next watch will try `pidfd_open` (for the failpoint tests).
#[cfg(ferrio_failpoints)]
pub(crate) fn pidfd_available() -> bool {
    #[cfg(ferrio_pidfd)]
    return PIDFD.load(Ordering::Relaxed);
    #[cfg(not(ferrio_pidfd))]
    return false;
}

/// Forgets a remembered `pidfd_open` ENOSYS (for the failpoint tests).
#[cfg(ferrio_failpoints)]
pub(crate) fn forget_missing_pidfd() {
    #[cfg(ferrio_pidfd)]
    PIDFD.store(true, Ordering::Relaxed);
}
