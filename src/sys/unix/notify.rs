//! A file descriptor that another thread can make readable: eventfd where the system has it
//! (`ferrio_eventfd` in build.rs: Linux, Android, illumos, Hermit), a non-blocking pipe
//! elsewhere. Wakers and the poll(2) backend's internal wake-up use it.
//!
//! WASI (`ferrio_no_waker`) runs one thread: no other thread can change the poller's table
//! while it sits in poll(2), nor wake it, and there is no `Waker`. There the notifier is inert:
//! it has no fd (the table's slot for it holds -1, which poll(2) skips) and `notify` does
//! nothing.

use std::io;
#[cfg(ferrio_eventfd)]
use std::os::fd::FromRawFd;
use std::os::fd::RawFd;
#[cfg(not(ferrio_no_waker))]
use std::os::fd::{AsRawFd, OwnedFd};

#[cfg(not(ferrio_no_waker))]
use crate::sys::failpoints::failpoint;
use crate::sys::failpoints::syscall;

#[cfg(not(ferrio_no_waker))]
#[derive(Debug)]
pub(crate) struct Notifier {
    /// The end that is watched for readability (for eventfd, the only fd, also written to).
    read: OwnedFd,
    /// The pipe's end that is written to. (eventfd has one fd for both: the field exists only
    /// where the notifier is a pipe.)
    #[cfg(not(ferrio_eventfd))]
    write: OwnedFd,
}

/// The inert notifier of single-threaded WASI (see the module's documentation).
#[cfg(ferrio_no_waker)]
#[derive(Debug)]
pub(crate) struct Notifier;

#[cfg(ferrio_no_waker)]
impl Notifier {
    pub(crate) fn new() -> io::Result<Notifier> {
        Ok(Notifier)
    }

    /// No fd: -1, which poll(2) skips.
    pub(crate) fn fd(&self) -> RawFd {
        -1
    }

    /// Nothing to wake: the only thread is the caller.
    pub(crate) fn notify(&self) -> io::Result<()> {
        Ok(())
    }

    /// Nothing is ever pending.
    pub(crate) fn drain(&self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(not(ferrio_no_waker))]
impl Notifier {
    #[cfg(ferrio_eventfd)]
    pub(crate) fn new() -> io::Result<Notifier> {
        // SAFETY: eventfd takes no pointers; a non-negative result is a new fd we own.
        let fd = syscall!("eventfd", unsafe {
            libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK)
        })?;
        // SAFETY: `fd` was just returned by eventfd and is owned by nobody else.
        let read = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Notifier { read })
    }

    #[cfg(not(ferrio_eventfd))]
    pub(crate) fn new() -> io::Result<Notifier> {
        let (read, write) = super::pipe::new_raw()?;
        Ok(Notifier { read, write })
    }

    /// How many bytes a wake-up writes: an eventfd takes an 8-byte count, a pipe one byte.
    #[cfg_attr(
        not(all(feature = "os-sources", any(ferrio_timerfd, ferrio_kevent))),
        allow(dead_code)
    )]
    pub(crate) const WRITE_LEN: usize = if cfg!(ferrio_eventfd) { 8 } else { 1 };

    /// The fd a wake-up writes to (for eventfd, the watched fd itself).
    #[cfg_attr(
        not(all(feature = "os-sources", any(ferrio_timerfd, ferrio_kevent))),
        allow(dead_code)
    )]
    pub(crate) fn write_fd(&self) -> RawFd {
        #[cfg(ferrio_eventfd)]
        return self.read.as_raw_fd();
        #[cfg(not(ferrio_eventfd))]
        return self.write.as_raw_fd();
    }

    /// The fd to watch for readability, borrowed.
    #[cfg_attr(
        not(all(feature = "os-sources", any(ferrio_timerfd, ferrio_kevent))),
        allow(dead_code)
    )]
    pub(crate) fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(&self.read)
    }

    /// The fd to watch for readability.
    pub(crate) fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Makes the fd readable. A full counter or pipe is drained and the write retried, so a
    /// notification is never lost to back-pressure.
    pub(crate) fn notify(&self) -> io::Result<()> {
        loop {
            match self.write_once() {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // The counter or the pipe is full: a wake-up is already pending. Empty it
                    // and write again so the reader sees a fresh edge.
                    self.drain()?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    #[cfg(ferrio_eventfd)]
    fn write_once(&self) -> io::Result<()> {
        failpoint!("notify_write", self.fd());
        let one: u64 = 1;
        // SAFETY: the buffer is a live u64 of exactly the 8 bytes passed.
        let n = unsafe { libc::write(self.fd(), (&one as *const u64).cast(), 8) };
        crate::sys::cvt(n).map(drop)
    }

    #[cfg(not(ferrio_eventfd))]
    fn write_once(&self) -> io::Result<()> {
        failpoint!("notify_write", self.fd());
        let byte = [1u8];
        // SAFETY: the buffer is a live array of the 1 byte passed.
        let n = unsafe { libc::write(self.write.as_raw_fd(), byte.as_ptr().cast(), 1) };
        crate::sys::cvt(n).map(drop)
    }

    /// Consumes every pending notification, so the fd is no longer readable.
    pub(crate) fn drain(&self) -> io::Result<()> {
        drain_fd(self.fd())
    }
}

/// Consumes every pending notification of a notifier's readable fd (see [`Notifier::fd`]),
/// for a poller that holds only the fd number. The fd must be non-blocking.
pub(crate) fn drain_fd(fd: RawFd) -> io::Result<()> {
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: `buf` is a live, writable buffer of the length passed.
        let n = syscall!("notify_read", unsafe {
            libc::read(fd, buf.as_mut_ptr().cast(), buf.len())
        });
        match n {
            // eventfd is emptied by one read; a pipe may need several.
            Ok(_) if cfg!(ferrio_eventfd) => return Ok(()),
            Ok(0) => return Ok(()),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}
