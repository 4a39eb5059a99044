use std::io;
use std::net::{self, SocketAddr};

use crate::io_source::IoSource;
use crate::net::TcpStream;
use crate::sys::{socket, AsIo};
use crate::Interest;

/// A TCP socket that listens for connections.
///
/// Register it for [`Interest::READABLE`](crate::Interest): a readable event means connections
/// are waiting, and [`accept`](TcpListener::accept) should be called until it returns
/// `WouldBlock`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::{TcpListener, TcpStream};
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
///
/// let _client = TcpStream::connect(listener.local_addr()?)?;
/// let mut events = Events::with_capacity(8);
/// loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     match listener.accept() {
///         Ok((_stream, peer)) => {
///             println!("connection from {peer}");
///             break;
///         }
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct TcpListener {
    inner: IoSource<net::TcpListener>,
}

impl TcpListener {
    /// Creates a listener bound to `addr` (port 0 picks a free port).
    ///
    /// The socket is non-blocking and close-on-exec, has `SO_REUSEADDR` set (so a restarted
    /// server can bind its port while old connections linger in `TIME_WAIT`), and listens with
    /// a backlog of 128 connections (20 on Horizon, 32 on Haiku), the value of std's
    /// `TcpListener::bind` on every platform; the kernel may lower it further (`net.core.somaxconn` on Linux). For a longer queue,
    /// or other options set before listening (such as `SO_REUSEPORT`), use
    /// [`TcpSocket`](crate::net::TcpSocket) and its [`listen`](crate::net::TcpSocket::listen).
    ///
    /// On Linux this is four system calls: `socket`, `setsockopt`, `bind`, `listen`.
    #[cfg(not(ferrio_wasi))] // WASI preview 1 cannot create sockets (as in mio).
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        socket::tcp_listener(&addr).map(TcpListener::from)
    }

    /// Accepts one waiting connection, or returns `WouldBlock` if there is none.
    ///
    /// The new stream is non-blocking and close-on-exec (one `accept4` call on Linux) and
    /// still needs to be registered.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.inner
            .read_op(|l| socket::accept(l.as_io()))
            .map(|(fd, addr)| (TcpStream::from(fd), addr))
    }

    take_error_method!(ip: Interest::READABLE);
}

socket_impls!(TcpListener, net::TcpListener, SocketAddr);
ttl_options!(TcpListener);
