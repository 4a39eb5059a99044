use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys::socket;
use crate::Interest;

/// A Unix-domain datagram socket.
///
/// Datagrams keep their boundaries and are never reordered; a receive into a buffer shorter
/// than the datagram truncates it (see the [module documentation](crate::net#datagrams)).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::UnixDatagram;
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::time::Duration;
///
/// let (a, mut b) = UnixDatagram::pair()?;
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut b, Token(0), Interest::READABLE)?;
///
/// a.send(b"one datagram")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// let mut buf = [0; 64];
/// let n = b.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"one datagram");
/// # Ok(())
/// # }
/// ```
pub struct UnixDatagram {
    inner: IoSource<net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to no address; it can still send, and receive replies once
    /// connected.
    pub fn unbound() -> io::Result<UnixDatagram> {
        socket::unix_unbound(socket::Kind::Datagram).map(UnixDatagram::from)
    }

    unix_constructors! {
        /// Creates a socket bound to the filesystem path `path`, which must not exist yet.
        fn bind(path);
        /// Creates a socket bound to `address`: a path, or on Linux and Android an abstract name.
        fn bind_addr(address) = socket::unix_bind(address, socket::Kind::Datagram);
    }

    /// Sets the default peer to the socket at `path`: [`send`](UnixDatagram::send) goes
    /// there, and only its datagrams are received.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        let addr = SocketAddr::from_pathname(path)?;
        self.with_socket(|s| socket::connect(s, &addr))
    }

    /// Creates two sockets connected to each other (`socketpair`).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = socket::unix_pair(socket::Kind::Datagram)?;
        Ok((UnixDatagram::from(a), UnixDatagram::from(b)))
    }

    /// The address of the connected peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.with_socket(socket::peer_addr)
    }

    /// Receives one datagram and the address of its sender (unnamed for unbound senders).
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_op(|s| socket::recv_from(s.as_fd(), buf))
    }

    /// Receives one datagram.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_op(|s| socket::recv(s.as_fd(), buf))
    }

    /// Sends one datagram to the socket at `path`.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let addr = SocketAddr::from_pathname(path)?;
        self.inner
            .write_op(|s| socket::send_to(s.as_fd(), buf, &addr))
    }

    /// Sends one datagram to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_op(|s| socket::send(s.as_fd(), buf))
    }

    /// Shuts down receiving, sending or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.with_socket(|s| socket::shutdown(s, how))
    }

    take_error_method!(Interest::READABLE | Interest::WRITABLE);

    crate::io_source::try_io_method!("socket");
}

socket_impls!(UnixDatagram, net::UnixDatagram, SocketAddr);
