use std::io;
use std::net::{self, SocketAddr};

use crate::net::{TcpListener, TcpStream};
use crate::sys::socket;
use crate::sys::{AsIo, OwnedIo};

/// A TCP socket that has not yet become a listener or a connection: set options, bind, and
/// then [`listen`](TcpSocket::listen) or [`connect`](TcpSocket::connect).
///
/// This is what [`TcpListener::bind`] and [`TcpStream::connect`] do in one step, opened up so
/// that options can be set on the way (a larger listen backlog, `SO_REUSEPORT`, a local
/// address to connect from, keep-alive, buffer sizes, ...). Names and signatures are those of
/// `tokio::net::TcpSocket`, with one difference: [`connect`](TcpSocket::connect) returns at
/// once, before the connection exists (see the [connect protocol](crate::net#connecting)),
/// where tokio's `connect` is an `async fn` that waits.
///
/// The socket is non-blocking and close-on-exec from the start. It is not an
/// [`event::Source`](crate::event::Source): nothing about it can be waited for until it
/// listens or connects. Setters take `&self` and return `io::Result<()>`; getters report what
/// the kernel reports. Options the system does not have are either missing from the API on
/// that system (where tokio leaves them out too) or return
/// [`ErrorKind::Unsupported`](io::ErrorKind::Unsupported); each method says which.
///
/// Available on Unix and Windows, like every method not marked otherwise.
///
/// # A listener with a larger backlog, shared with other processes
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::TcpSocket;
///
/// let socket = TcpSocket::new_v4()?;
/// socket.set_reuseaddr(true)?;
/// # #[cfg(ferrio_reuseport)] // where it exists (build.rs)
/// socket.set_reuseport(true)?;
/// socket.bind("127.0.0.1:0".parse().unwrap())?;
/// let listener = socket.listen(4096)?;
/// # drop(listener);
/// # Ok(())
/// # }
/// ```
///
/// # A connection from a chosen local address
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::{TcpListener, TcpSocket};
/// use std::time::Duration;
///
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///
/// let socket = TcpSocket::new_v4()?;
/// socket.set_nodelay(true)?;
/// socket.set_keepalive(true)?;
/// socket.bind("127.0.0.1:0".parse().unwrap())?;
/// let stream = socket.connect(listener.local_addr()?)?;
/// // Register `stream` for WRITABLE and follow the connect protocol (see `ferrio::net`).
/// # drop(stream);
/// # Ok(())
/// # }
/// ```
pub struct TcpSocket {
    inner: OwnedIo,
}

impl TcpSocket {
    /// Binds the socket to `addr`; port 0 lets the system pick a free port
    /// ([`local_addr`](TcpSocket::local_addr) tells which).
    ///
    /// A port in use fails with [`ErrorKind::AddrInUse`](io::ErrorKind::AddrInUse) (unless
    /// [`set_reuseaddr`](TcpSocket::set_reuseaddr) or
    /// [`set_reuseport`](TcpSocket::set_reuseport) allow sharing it); the socket stays usable
    /// and is closed when dropped.
    ///
    /// To connect from a chosen address with a port picked at connect time, prefer
    /// [`TcpStream::bind_connect`], which lets Linux share local ports between connections
    /// to different peers.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        socket::bind(self.inner.as_io(), &addr)
    }

    /// Starts connecting to `addr` and returns the stream at once, usually before the
    /// connection exists: register it for writable events and follow the
    /// [connect protocol](crate::net#connecting). If the system refuses at once, the error is
    /// returned and the socket is closed.
    pub fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        socket::connect_stream(self.inner.as_io(), &addr)?;
        Ok(TcpStream::from(self.inner))
    }

    /// Makes the socket a listener whose queue of connections waiting for
    /// [`accept`](TcpListener::accept) holds up to `backlog` entries.
    ///
    /// The kernel caps the backlog silently (Linux: `net.core.somaxconn`, 4096 by default
    /// since Linux 5.4; FreeBSD: `kern.ipc.soacceptqueue`); values above `i32::MAX` are
    /// clamped. [`TcpListener::bind`] uses std's value, 128 on most systems. A socket that was not bound
    /// gets a free port on all addresses. On error the socket is closed.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        socket::listen(self.inner.as_io(), backlog)?;
        Ok(TcpListener::from(self.inner))
    }

    /// Wraps a std stream's socket, as tokio's method of the same name does. It is used as
    /// it is: make it non-blocking first if it will be connected through this type.
    pub fn from_std_stream(stream: net::TcpStream) -> TcpSocket {
        TcpSocket::from(OwnedIo::from(stream))
    }

    /// The address the socket is bound to; before [`bind`](TcpSocket::bind), the unspecified
    /// address of its family with port 0.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.inner.as_io())
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.inner.as_io())
    }
}

bind_options!(
    TcpSocket,
    "let socket = ferrio::net::TcpSocket::new_v4()?;",
    "let socket = ferrio::net::TcpSocket::new_v6()?;"
);
tcp_options!(TcpSocket, "let socket = ferrio::net::TcpSocket::new_v4()?;");
buffer_size_options!(TcpSocket, "let socket = ferrio::net::TcpSocket::new_v4()?;");
traffic_class_options!(
    TcpSocket,
    "let socket = ferrio::net::TcpSocket::new_v4()?;",
    "let socket = ferrio::net::TcpSocket::new_v6()?;"
);
builder_impls!(TcpSocket, Stream, "TCP");
ttl_options!(TcpSocket);
