//! Child exits on the kqueue systems: a private kqueue holding one `EVFILT_PROC` filter with
//! `NOTE_EXIT` for the child, readable once it exits; one descriptor per child and no signal
//! involved. A child that has already exited cannot be watched that way (the kernel answers
//! `ESRCH`).
//!
//! * With `waitid` (`ferrio_waitid`: all but OpenBSD), `waitid(WNOWAIT)` says whether the
//!   child has exited, and a child that exited before the watch gets the `SIGCHLD` watch
//!   (`child_sigchld.rs`), which finds the exit at once.
//! * OpenBSD has no `waitid` in libc. There the kqueue's event itself is the answer: `check`
//!   collects it (once) and remembers it. Whether `pid` is an unreaped child of ours, which
//!   `waitid` would tell, is asked of `sysctl(KERN_PROC_PID)`, which also lists zombies with
//!   their parent; a child already exited when the watch begins gets a notifier made
//!   readable at once.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
#[cfg(not(ferrio_waitid))]
use std::sync::atomic::{AtomicBool, Ordering};

#[cfg(ferrio_waitid)]
use super::child_sigchld::{exited, SigchldWatch};
use crate::sys::failpoints::syscall;
#[cfg(not(ferrio_waitid))]
use crate::sys::unix::notify::Notifier;

const NO_WAIT: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// A watch on one child's exit.
#[derive(Debug)]
pub(crate) enum ChildExit {
    Kqueue {
        /// The child (asked of `waitid`).
        #[cfg(ferrio_waitid)]
        pid: libc::pid_t,
        kq: OwnedFd,
        /// Whether `check` has collected the exit event (OpenBSD: no `waitid` to ask again).
        #[cfg(not(ferrio_waitid))]
        fired: AtomicBool,
    },
    #[cfg(ferrio_waitid)]
    Sigchld(SigchldWatch),
    /// The child had exited when the watch began: a notifier made readable once.
    #[cfg(not(ferrio_waitid))]
    Exited(Notifier),
}

impl ChildExit {
    /// Watches the child `pid`. `ECHILD` if it is not a child of this process or has been
    /// reaped already.
    pub(crate) fn new(pid: libc::pid_t) -> io::Result<ChildExit> {
        #[cfg(ferrio_waitid)]
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
            #[cfg(ferrio_waitid)]
            Ok(_) => Ok(ChildExit::Kqueue { pid, kq }),
            // The filter takes any process this user may see: the parent is checked after
            // it is in place, so that an exit from now on is reported either way.
            #[cfg(not(ferrio_waitid))]
            Ok(_) => match is_our_child(pid)? {
                true => Ok(ChildExit::Kqueue {
                    kq,
                    fired: AtomicBool::new(false),
                }),
                false => Err(io::Error::from_raw_os_error(libc::ECHILD)),
            },
            // Exited (a zombie) before the filter could be added.
            #[cfg(ferrio_waitid)]
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                SigchldWatch::new(pid).map(ChildExit::Sigchld)
            }
            // Exited (a zombie, or on its way), or no such process.
            #[cfg(not(ferrio_waitid))]
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => match is_our_child(pid)? {
                true => {
                    let notifier = Notifier::new()?;
                    notifier.notify()?;
                    Ok(ChildExit::Exited(notifier))
                }
                false => Err(io::Error::from_raw_os_error(libc::ECHILD)),
            },
            Err(e) => Err(e),
        }
    }

    /// `Ok` once the child has exited (it is not reaped); `WouldBlock` before.
    pub(crate) fn check(&self) -> io::Result<()> {
        match self {
            // The one-shot event stays queued until collected, which this never does: the
            // kqueue stays readable after the exit, and waitid says whether it happened.
            #[cfg(ferrio_waitid)]
            ChildExit::Kqueue { pid, .. } => match exited(*pid)? {
                true => Ok(()),
                false => Err(io::ErrorKind::WouldBlock.into()),
            },
            #[cfg(ferrio_waitid)]
            ChildExit::Sigchld(watch) => watch.check(),
            // The event is collected by the first check after the exit (the kqueue is not
            // readable after that) and remembered.
            #[cfg(not(ferrio_waitid))]
            ChildExit::Kqueue { kq, fired, .. } => {
                if fired.load(Ordering::Acquire) || collect(kq)? {
                    fired.store(true, Ordering::Release);
                    Ok(())
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                }
            }
            #[cfg(not(ferrio_waitid))]
            ChildExit::Exited(_) => Ok(()),
        }
    }
}

/// Takes the exit event from `kq` if it is there, without waiting.
#[cfg(not(ferrio_waitid))]
fn collect(kq: &OwnedFd) -> io::Result<bool> {
    // SAFETY: as in `ChildExit::new`, all-zero bytes are a valid kevent.
    let mut kev: libc::kevent = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: no changelist is read; one live kevent is written; the timeout is live.
        let ret = syscall!("kevent", unsafe {
            libc::kevent(kq.as_raw_fd(), std::ptr::null(), 0, &mut kev, 1, &NO_WAIT)
        });
        match ret {
            Ok(n) => return Ok(n > 0 && kev.fflags & libc::NOTE_EXIT != 0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Whether `pid` is a process (running or a zombie not yet reaped) whose parent is this
/// process: `sysctl(CTL_KERN, KERN_PROC, KERN_PROC_PID, pid)`, which lists zombies too.
#[cfg(not(ferrio_waitid))]
fn is_our_child(pid: libc::pid_t) -> io::Result<bool> {
    let size = std::mem::size_of::<libc::kinfo_proc>();
    // The last two words: the size of one record, and at most one record.
    let mib = [
        libc::CTL_KERN,
        libc::KERN_PROC,
        libc::KERN_PROC_PID,
        pid,
        size as libc::c_int,
        1,
    ];
    // SAFETY: kinfo_proc is a C struct of integers and integer arrays; all-zero bytes are a
    // valid value.
    let mut info: libc::kinfo_proc = unsafe { std::mem::zeroed() };
    let mut len = size;
    // SAFETY: `mib` holds its 6 live words; `info` is `len` writable bytes; nothing is set.
    syscall!("sysctl", unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            (&mut info as *mut libc::kinfo_proc).cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    })?;
    // SAFETY: getpid takes no arguments and cannot fail.
    let me = unsafe { libc::getpid() };
    // No record: no such process.
    Ok(len >= size && info.p_ppid == me)
}

impl AsRawFd for ChildExit {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            ChildExit::Kqueue { kq, .. } => kq.as_raw_fd(),
            #[cfg(ferrio_waitid)]
            ChildExit::Sigchld(watch) => watch.as_raw_fd(),
            #[cfg(not(ferrio_waitid))]
            ChildExit::Exited(notifier) => notifier.fd(),
        }
    }
}

impl AsFd for ChildExit {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            ChildExit::Kqueue { kq, .. } => kq.as_fd(),
            #[cfg(ferrio_waitid)]
            ChildExit::Sigchld(watch) => watch.as_fd(),
            #[cfg(not(ferrio_waitid))]
            ChildExit::Exited(notifier) => notifier.as_fd(),
        }
    }
}
