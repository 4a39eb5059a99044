//! Unix-only extras: [`SourceFd`] registers any file descriptor, and [`pipe`] gives
//! non-blocking pipes.
//!
//! Requires the `os-ext` cargo feature (on by default; it turns on `os-poll`), and exists on
//! Unix systems only.

// Hermit and WASI have no pipes: there this module is compiled for `SourceFd` alone (the
// private home of `ferrio::hermit::SourceFd` and `ferrio::wasi::SourceFd`).
#[cfg(unix)]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
pub mod pipe;

use std::io;
use std::os::fd::RawFd;

use crate::io_source::{impl_source, Registration, RegistryOp};
use crate::sys::SelectorApi;
use crate::Registry;

/// Registers a raw file descriptor that ferrio does not own.
///
/// Requires the `os-ext` cargo feature; Unix only.
///
/// `SourceFd` borrows the fd for the registration calls only; the caller keeps it open while
/// registered and must deregister it before closing it.
///
/// If the fd is closed while registered, epoll and kqueue drop the registration without a word
/// (epoll only once no duplicate of the fd is left open). The poll(2) backend hears of it from
/// the next `poll`: it reports one event under the old token with
/// [`is_error`](crate::event::Event::is_error) set and every other flag clear, and forgets the
/// fd; after that, [`Registry::deregister`] returns `NotFound` and the number can be registered
/// again. Until that event, the stale entry stays: a file that gets the same number first is
/// reported under the old token, and registering it fails with `AlreadyExists`.
///
/// ferrio cannot see the I/O done on a foreign fd, so on the poll(2) backend it cannot re-arm
/// the fd after `WouldBlock`: there, after each event, call [`Registry::reregister`] to hear
/// about the fd again. On epoll and kqueue the registration stays armed (edge-triggered) by
/// itself, and a reregister is harmless, so portable code always makes it. The guide's section
/// on [the poll(2) backend](crate::guide#the-poll2-backend) shows the pattern.
///
/// The fd should be non-blocking, like every source of an edge-triggered loop. Prefer
/// registering ferrio's own types (sockets, pipes) directly rather than their fds through
/// `SourceFd`: their operations re-arm by themselves.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::unix::SourceFd;
/// use ferrio::{Interest, Poll, Token};
/// use std::os::fd::AsRawFd;
///
/// let poll = Poll::new()?;
/// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// socket.set_nonblocking(true)?;
/// let fd = socket.as_raw_fd();
/// poll.registry().register(&mut SourceFd(&fd), Token(0), Interest::READABLE)?;
/// poll.registry().deregister(&mut SourceFd(&fd))?;
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
#[derive(Debug)]
pub struct SourceFd<'a>(pub &'a RawFd);

/// Straight to the selector: a foreign fd has no `IoSource` state.
impl Registration for SourceFd<'_> {
    fn registration(&mut self, registry: &Registry, op: RegistryOp) -> io::Result<()> {
        let selector = registry.selector();
        match op {
            RegistryOp::Register(token, interests) => selector.register(*self.0, token, interests),
            RegistryOp::Reregister(token, interests) => {
                selector.reregister(*self.0, token, interests)
            }
            RegistryOp::Deregister => selector.deregister(*self.0),
        }
    }
}

impl_source!(SourceFd<'_>);
