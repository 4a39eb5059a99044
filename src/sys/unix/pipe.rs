//! The pipe system calls behind `ferrio::unix::pipe` and the pipe-based notifier.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::cvt;

/// Creates a pipe whose both ends are non-blocking and close-on-exec. Returns (read, write).
#[cfg(not(any(
    target_os = "ios",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
    target_os = "aix",
    target_os = "haiku",
    target_os = "nto",
)))]
pub(crate) fn new_raw() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1, -1];
    // SAFETY: `fds` is a live array of two ints, as pipe2 requires.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })?;
    // SAFETY: pipe2 succeeded, so both fds are new and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Creates a pipe whose both ends are non-blocking and close-on-exec. Returns (read, write).
/// These systems have no pipe2, so the flags are set afterwards; both fds are closed if that
/// fails.
#[cfg(any(
    target_os = "ios",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
    target_os = "aix",
    target_os = "haiku",
    target_os = "nto",
))]
pub(crate) fn new_raw() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1, -1];
    // SAFETY: `fds` is a live array of two ints, as pipe requires.
    cvt(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: pipe succeeded, so both fds are new and owned by nobody else; owning them here
    // closes them on any error below.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    for fd in [&read, &write] {
        set_cloexec(fd)?;
        set_nonblocking(fd, true)?;
    }
    Ok((read, write))
}

/// Sets close-on-exec on `fd`.
#[allow(dead_code)]
pub(crate) fn set_cloexec(fd: &impl std::os::fd::AsRawFd) -> io::Result<()> {
    // SAFETY: fcntl on a live fd with integer arguments.
    cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) }).map(drop)
}

/// Turns `O_NONBLOCK` on or off for `fd`.
pub(crate) fn set_nonblocking(fd: &impl std::os::fd::AsRawFd, nonblocking: bool) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl on a live fd with integer arguments.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let new = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if new != flags {
        // SAFETY: as above.
        cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, new) })?;
    }
    Ok(())
}
