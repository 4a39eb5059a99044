//! The socket calls of WASI preview 1, through std's own preview-1 sockets: `sock_accept`,
//! `sock_recv` (with `RECV_PEEK` for `peek`), `sock_send` and `sock_shutdown` are all the
//! interface has. What it lacks (addresses, `SO_ERROR`, TTL, `TCP_NODELAY`) std reports as
//! `Unsupported`, and so does ferrio, as mio does by calling std the same way.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::mem::ManuallyDrop;
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// A std stream over the borrowed `fd`, never closed by this view: every preview-1 socket
/// call std makes on a stream (`sock_recv`, `sock_send`, `sock_shutdown`) also serves any
/// other socket fd.
fn stream(fd: BorrowedFd<'_>) -> ManuallyDrop<net::TcpStream> {
    // SAFETY: `fd` is open for the borrow's lifetime, which the returned view does not outlive
    // in any caller here (each uses it for one call); `ManuallyDrop` keeps it from closing an
    // fd it does not own.
    ManuallyDrop::new(unsafe { net::TcpStream::from_raw_fd(fd.as_raw_fd()) })
}

/// A std listener over the borrowed `fd`, never closed by this view (see [`stream`]).
fn listener(fd: BorrowedFd<'_>) -> ManuallyDrop<net::TcpListener> {
    // SAFETY: as in `stream`.
    ManuallyDrop::new(unsafe { net::TcpListener::from_raw_fd(fd.as_raw_fd()) })
}

/// One `sock_accept`; the new stream is made non-blocking. Preview 1 reports no peer
/// address: std gives the unspecified one.
pub(crate) fn accept(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, SocketAddr)> {
    let (stream, addr) = listener(fd).accept()?;
    stream.set_nonblocking(true)?;
    Ok((OwnedFd::from(stream), addr))
}

pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    stream(fd).read(buf)
}

pub(crate) fn recv_vectored(fd: BorrowedFd<'_>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    stream(fd).read_vectored(bufs)
}

pub(crate) fn peek(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    stream(fd).peek(buf)
}

pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    stream(fd).write(buf)
}

pub(crate) fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    stream(fd).write_vectored(bufs)
}

pub(crate) fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> io::Result<()> {
    stream(fd).shutdown(how)
}

pub(crate) fn local_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    stream(fd).local_addr()
}

pub(crate) fn peer_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    stream(fd).peer_addr()
}

pub(crate) fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    stream(fd).take_error()
}

pub(crate) fn set_ttl(fd: BorrowedFd<'_>, ttl: u32) -> io::Result<()> {
    stream(fd).set_ttl(ttl)
}

pub(crate) fn ttl(fd: BorrowedFd<'_>) -> io::Result<u32> {
    stream(fd).ttl()
}

pub(crate) fn set_nodelay(fd: BorrowedFd<'_>, nodelay: bool) -> io::Result<()> {
    stream(fd).set_nodelay(nodelay)
}

pub(crate) fn nodelay(fd: BorrowedFd<'_>) -> io::Result<bool> {
    stream(fd).nodelay()
}
