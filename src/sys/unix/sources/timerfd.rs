//! Timers on Linux, Android, illumos and Fuchsia: a `timerfd` on `CLOCK_MONOTONIC`, non-blocking and
//! close-on-exec. Arming and cancelling are one `timerfd_settime` each (which also discards
//! the expirations not yet read); reading the expirations is one 8-byte `read`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::timespec;
use crate::sys::failpoints::syscall;

/// A monotonic timer whose fd is readable while expirations wait to be read.
#[derive(Debug)]
pub(crate) struct Timer {
    fd: OwnedFd,
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new fd.
        let fd = syscall!("timerfd_create", unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        })?;
        // SAFETY: `fd` was just created and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Timer { fd })
    }

    /// Arms the timer to expire after `delay` (not zero), and then every `delay` if
    /// `periodic`. Replaces any earlier setting and drops unread expirations.
    pub(crate) fn set(&self, delay: Duration, periodic: bool) -> io::Result<()> {
        let period = if periodic { delay } else { Duration::ZERO };
        let spec = libc::itimerspec {
            it_interval: timespec(period),
            it_value: timespec(delay),
        };
        self.settime(&spec)
    }

    /// Disarms the timer and drops unread expirations.
    pub(crate) fn cancel(&self) -> io::Result<()> {
        let zero = timespec(Duration::ZERO);
        let spec = libc::itimerspec {
            it_interval: zero,
            it_value: zero,
        };
        self.settime(&spec)
    }

    fn settime(&self, spec: &libc::itimerspec) -> io::Result<()> {
        // SAFETY: `spec` is a live itimerspec; a null old-value pointer asks for nothing back.
        syscall!("timerfd_settime", unsafe {
            libc::timerfd_settime(self.fd.as_raw_fd(), 0, spec, std::ptr::null_mut())
        })
        .map(drop)
    }

    /// The expirations since the last read (at least 1), or `WouldBlock` if there are none.
    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut count = 0u64;
        // SAFETY: `count` is 8 writable bytes, the size a timerfd read needs.
        let n = syscall!("timer_read", unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                (&mut count as *mut u64).cast(),
                std::mem::size_of::<u64>(),
            )
        })?;
        debug_assert_eq!(n, 8);
        Ok(count)
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
