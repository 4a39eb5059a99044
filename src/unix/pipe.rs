//! Non-blocking Unix pipes.
//!
//! Requires the `os-ext` cargo feature; Unix only.
//!
//! [`new`] creates a pipe whose ends are non-blocking and close-on-exec (in one system call
//! where the OS has `pipe2`). The [`Receiver`] reports `is_read_closed` once every [`Sender`]
//! is gone, and the `Sender` reports `is_write_closed` once the `Receiver` is gone.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! use ferrio::unix::pipe;
//! use ferrio::{Events, Interest, Poll, Token};
//! use std::io::{Read, Write};
//! use std::time::Duration;
//!
//! let mut poll = Poll::new()?;
//! let (mut tx, mut rx) = pipe::new()?;
//! poll.registry().register(&mut rx, Token(1), Interest::READABLE)?;
//!
//! tx.write_all(b"ping")?;
//! let mut events = Events::with_capacity(8);
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! let mut buf = [0; 4];
//! rx.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"ping");
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::process::{ChildStderr, ChildStdin, ChildStdout};

use crate::io_source::{io_impls, IoSource};
use crate::sys;

/// Creates a non-blocking, close-on-exec pipe and returns its two ends (one `pipe2` call where
/// the system has it).
///
/// Requires the `os-ext` cargo feature; Unix only.
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
pub fn new() -> io::Result<(Sender, Receiver)> {
    let (read, write) = sys::pipe::new_raw()?;
    Ok((Sender::from(write), Receiver::from(read)))
}

/// The writing end of a pipe. Register it for [`Interest::WRITABLE`](crate::Interest::WRITABLE); its events show
/// `is_write_closed` once the reading end is gone, and a write then fails with `BrokenPipe`.
/// Unlike a write to ferrio's sockets, a write to a pipe whose reading end is gone also raises
/// `SIGPIPE` (a pipe has no equivalent of `MSG_NOSIGNAL`, and masking the signal around each
/// write would cost system calls on every write). Rust programs ignore that signal by default,
/// so the write just fails with `BrokenPipe`; a program that restores the default action is
/// killed instead, unless it ignores or blocks `SIGPIPE` itself.
///
/// Requires the `os-ext` cargo feature; Unix only.
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
#[derive(Debug)]
pub struct Sender {
    inner: IoSource<File>,
}

/// The reading end of a pipe. Register it for [`Interest::READABLE`](crate::Interest::READABLE); its events show
/// `is_read_closed` once every writing end is gone, and a read then returns 0 bytes.
///
/// Requires the `os-ext` cargo feature; Unix only.
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
#[derive(Debug)]
pub struct Receiver {
    inner: IoSource<File>,
}

macro_rules! pipe_end {
    ($ty:ident) => {
        impl $ty {
            /// Turns non-blocking mode on or off. Ends made by [`new`] are already
            /// non-blocking; ends converted from child-process handles are not.
            pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
                self.inner
                    .any_op(|file| sys::set_nonblocking(file.as_fd(), nonblocking))
            }


            crate::io_source::try_io_method!("pipe end");
        }

        crate::io_source::impl_source!($ty => inner);

        impl From<OwnedFd> for $ty {
            /// Adopts `fd` as is: it is not made non-blocking.
            fn from(fd: OwnedFd) -> $ty {
                $ty {
                    inner: IoSource::new(File::from(fd)),
                }
            }
        }

        impl From<$ty> for OwnedFd {
            fn from(end: $ty) -> OwnedFd {
                end.inner.into_inner().into()
            }
        }

        impl FromRawFd for $ty {
            /// # Safety
            ///
            /// `fd` must be an open pipe end that the caller owns; it is not made
            /// non-blocking.
            unsafe fn from_raw_fd(fd: RawFd) -> $ty {
                // SAFETY: the caller hands over ownership of an open fd.
                $ty::from(unsafe { OwnedFd::from_raw_fd(fd) })
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_fd().as_raw_fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl IntoRawFd for $ty {
            fn into_raw_fd(self) -> RawFd {
                self.inner.into_inner().into_raw_fd()
            }
        }
    };
}

pipe_end!(Sender);
pipe_end!(Receiver);

impl From<ChildStdin> for Sender {
    /// Adopts a child's stdin; call [`Sender::set_nonblocking`] before registering it.
    fn from(stdin: ChildStdin) -> Sender {
        Sender::from(OwnedFd::from(stdin))
    }
}

impl From<ChildStdout> for Receiver {
    /// Adopts a child's stdout; call [`Receiver::set_nonblocking`] before registering it.
    fn from(stdout: ChildStdout) -> Receiver {
        Receiver::from(OwnedFd::from(stdout))
    }
}

impl From<ChildStderr> for Receiver {
    /// Adopts a child's stderr; call [`Receiver::set_nonblocking`] before registering it.
    fn from(stderr: ChildStderr) -> Receiver {
        Receiver::from(OwnedFd::from(stderr))
    }
}

io_impls!(Write for Sender, |mut file, buf, bufs| file.write(buf), file.write_vectored(bufs));
io_impls!(Read for Receiver, |mut file, buf, bufs| file.read(buf), file.read_vectored(bufs));
