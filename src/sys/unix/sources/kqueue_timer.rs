//! Timers on the kqueue systems: each timer is a private kqueue holding one `EVFILT_TIMER`
//! filter, whose fd the `Poll` watches for readability like any other. Reading the
//! expirations is one `kevent` with a zero timeout, which collects the filter's event and
//! its count; arming is a delete and an add, cancelling a delete.
//!
//! The period is given in nanoseconds where the system has `NOTE_NSECONDS` (Apple's systems,
//! FreeBSD, NetBSD) and fits the `data` field, else in milliseconds, rounded up.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::sys::failpoints::syscall;

/// The ident of the one filter in the private kqueue.
const IDENT: libc::uintptr_t = 1;

const NO_WAIT: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// A monotonic timer whose fd (a private kqueue) is readable while expirations wait to be
/// read.
#[derive(Debug)]
pub(crate) struct Timer {
    kq: OwnedFd,
}

/// A kevent for the timer filter, with no flags and nothing else.
fn timer_kevent() -> libc::kevent {
    // SAFETY: kevent is a C struct of integers, a pointer (or integer) `udata` and, on some
    // systems, an array of integers; all-zero bytes are a valid value of each.
    let mut kev: libc::kevent = unsafe { std::mem::zeroed() };
    kev.ident = IDENT;
    kev.filter = libc::EVFILT_TIMER as _;
    kev
}

/// The `fflags` unit and `data` of a timer of `d` (at least the unit's smallest step).
fn period(d: Duration) -> (u32, isize) {
    #[cfg(ferrio_note_nseconds)]
    if let Ok(ns) = isize::try_from(d.as_nanos()) {
        return (libc::NOTE_NSECONDS, ns.max(1));
    }
    let ms = d.as_nanos().saturating_add(999_999) / 1_000_000;
    (0, isize::try_from(ms).unwrap_or(isize::MAX).max(1))
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        // SAFETY: kqueue takes no arguments; a non-negative result is a new fd we own.
        let kq = syscall!("kqueue", unsafe { libc::kqueue() })?;
        // SAFETY: `kq` was just created and is owned by nobody else, so the early return
        // below closes it.
        let kq = unsafe { OwnedFd::from_raw_fd(kq) };
        crate::sys::unix::set_cloexec(kq.as_fd())?;
        Ok(Timer { kq })
    }

    /// Submits one change; the error is the change's own.
    fn submit(&self, kev: &libc::kevent) -> io::Result<()> {
        // SAFETY: one live kevent is read; no eventlist is written; the timeout is a live
        // timespec.
        syscall!("kevent", unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                kev,
                1,
                std::ptr::null_mut(),
                0,
                &NO_WAIT,
            )
        })
        .map(drop)
    }

    /// Arms the timer to expire after `delay` (not zero), and then every `delay` if
    /// `periodic`. Replaces any earlier setting and drops unread expirations.
    pub(crate) fn set(&self, delay: Duration, periodic: bool) -> io::Result<()> {
        self.cancel()?;
        let mut kev = timer_kevent();
        kev.flags = libc::EV_ADD | libc::EV_CLEAR;
        if !periodic {
            kev.flags |= libc::EV_ONESHOT;
        }
        let (unit, data) = period(delay);
        kev.fflags = unit as _;
        kev.data = data as _;
        self.submit(&kev)
    }

    /// Disarms the timer and drops unread expirations.
    pub(crate) fn cancel(&self) -> io::Result<()> {
        let mut kev = timer_kevent();
        kev.flags = libc::EV_DELETE;
        match self.submit(&kev) {
            // Never armed, or a one-shot timer already collected.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            other => other,
        }
    }

    /// The expirations since the last read (at least 1), or `WouldBlock` if there are none.
    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut out = timer_kevent();
        // SAFETY: no changes are read; the kernel writes at most one event to `out`; the
        // timeout is a live timespec.
        let n = syscall!("kevent", unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                std::ptr::null(),
                0,
                &mut out,
                1,
                &NO_WAIT,
            )
        })?;
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        #[allow(clippy::unnecessary_cast)] // `data` is i64 on some systems, intptr_t on others.
        let count = out.data as i64;
        Ok(u64::try_from(count).unwrap_or(0).max(1))
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }
}

impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }
}
