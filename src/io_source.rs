//! The one adapter between a socket or pipe and the selector backend.
//!
//! Backends that emulate edge triggering (poll(2)) must re-arm a source when an operation
//! returns `WouldBlock`, or the source never reports again. mio kept that rule by care, and
//! several of its operations forgot it. Here the wrapped I/O object is reachable *only* through
//! [`IoSource::do_io`] (and its two shorthands), which re-arms on `WouldBlock` by construction:
//! an operation that skips the re-arm cannot be written.

use std::io;
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
#[cfg(windows)]
use std::os::windows::io::{AsRawSocket, AsSocket, BorrowedSocket, RawSocket};

use crate::event::Source;
use crate::sys::{self, IoSourceApi, RawSource};
use crate::{Interest, Registry, Token};

/// What the backend watches for a wrapped object: its fd on Unix, its socket on Windows.
pub(crate) trait AsRawSource {
    fn as_raw_source(&self) -> RawSource;
}

#[cfg(unix)]
impl<T: AsRawFd> AsRawSource for T {
    fn as_raw_source(&self) -> RawSource {
        self.as_raw_fd()
    }
}

#[cfg(windows)]
impl<T: AsRawSocket> AsRawSource for T {
    fn as_raw_source(&self) -> RawSource {
        self.as_raw_socket()
    }
}

pub(crate) struct IoSource<T> {
    // Declared first so it drops first: a backend that keeps a table of fds removes this one
    // before the fd is closed and its number can be reused.
    state: sys::IoSourceState,
    inner: T,
}

impl<T: AsRawSource> IoSource<T> {
    pub(crate) fn new(inner: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            inner,
        }
    }

    /// Runs `f` on the inner object; if it returns `WouldBlock`, re-arms the directions in
    /// `blocked` that the source is registered for.
    #[inline]
    pub(crate) fn do_io<R, F>(&self, blocked: Interest, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state
            .do_io(self.inner.as_raw_source(), blocked, || f(&self.inner))
    }

    /// An operation that waits for readability (read, recv, accept, peek).
    #[inline]
    pub(crate) fn read_op<R, F>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.do_io(Interest::READABLE, f)
    }

    /// An operation that waits for writability (write, send).
    #[inline]
    pub(crate) fn write_op<R, F>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.do_io(Interest::WRITABLE, f)
    }

    /// Any other operation (options, addresses, user closures such as `try_io`): the
    /// direction of the operation is unknown, so should it return `WouldBlock`, every
    /// registered interest is re-armed.
    #[inline]
    pub(crate) fn any_op<R, F>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.do_io(Interest::READABLE | Interest::WRITABLE, f)
    }

    /// `take_error` of a socket: an error the backend holds for this registration (a failed
    /// poll submission on Windows) comes first, then the one `f` reads from the OS
    /// (`SO_ERROR`), run as an operation of direction `blocked`.
    #[cfg(feature = "net")]
    pub(crate) fn take_error<F>(&self, blocked: Interest, f: F) -> io::Result<Option<io::Error>>
    where
        F: FnOnce(&T) -> io::Result<Option<io::Error>>,
    {
        if let Some(err) = self.state.take_error() {
            return Ok(Some(err));
        }
        self.do_io(blocked, f)
    }

    /// Unwraps the I/O object, dropping any registration state first.
    pub(crate) fn into_inner(self) -> T {
        // The state is dropped here (deregistering on backends that keep a table).
        let IoSource { state: _, inner } = self;
        inner
    }
}

#[cfg(unix)]
impl<T: AsRawFd> AsRawFd for IoSource<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

#[cfg(unix)]
impl<T: AsFd> AsFd for IoSource<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(windows)]
impl<T: AsRawSocket> AsRawSocket for IoSource<T> {
    fn as_raw_socket(&self) -> RawSocket {
        self.inner.as_raw_socket()
    }
}

#[cfg(windows)]
impl<T: AsSocket> AsSocket for IoSource<T> {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.inner.as_socket()
    }
}

impl<T: AsRawSource> Source for IoSource<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let fd = self.inner.as_raw_source();
        self.state
            .register(registry.selector(), fd, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let fd = self.inner.as_raw_source();
        self.state
            .reregister(registry.selector(), fd, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        let fd = self.inner.as_raw_source();
        self.state.deregister(registry.selector(), fd)
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}
