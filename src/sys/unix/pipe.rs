//! The pipe system calls behind `ferrio::unix::pipe` and the pipe-based notifier.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::sys::failpoints::syscall;

/// Creates a pipe whose both ends are non-blocking and close-on-exec. Returns (read, write).
///
/// One `pipe2` call where the system has it. Where it has only `pipe` (`ferrio_no_pipe2` in
/// build.rs: Apple systems, AIX, ESP-IDF, Haiku, Horizon, QNX Neutrino) the flags are set
/// afterwards with `fcntl`; both fds are closed if that fails.
pub(crate) fn new_raw() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1, -1];
    #[cfg(not(ferrio_no_pipe2))]
    // SAFETY: `fds` is a live, writable array of two ints, which is what pipe2 fills in.
    syscall!("pipe2", unsafe {
        libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK)
    })?;
    #[cfg(ferrio_no_pipe2)]
    // SAFETY: `fds` is a live, writable array of two ints, which is what pipe fills in.
    syscall!("pipe2", unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: the call succeeded, so `fds[0]` is a new open fd owned by nobody else; owning
    // it here closes it on any error below.
    let read = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    // SAFETY: the same holds for `fds[1]`, the writing end.
    let write = unsafe { OwnedFd::from_raw_fd(fds[1]) };
    #[cfg(ferrio_no_pipe2)]
    for fd in [&read, &write] {
        use std::os::fd::AsFd;
        super::set_cloexec(fd.as_fd())?;
        super::set_nonblocking(fd.as_fd(), true)?;
    }
    Ok((read, write))
}
