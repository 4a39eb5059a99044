use std::io;
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::AsFd;

use crate::io_source::IoSource;
use crate::sys::socket;

/// A TCP connection.
///
/// Read and write it with [`Read`](std::io::Read) and [`Write`](std::io::Write), which are
/// also implemented for `&TcpStream` so that one thread can read while another writes. Both
/// return `WouldBlock` when the socket is not ready; wait for the next event then.
///
/// A stream from [`connect`](TcpStream::connect) is not yet connected; see the
/// [module documentation](crate::net#connecting) for how to learn when it is.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::{TcpListener, TcpStream};
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::io::Write;
/// use std::time::Duration;
///
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut stream = TcpStream::connect(listener.local_addr()?)?;
///
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut stream, Token(0), Interest::WRITABLE)?;
/// let mut events = Events::with_capacity(8);
/// loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     if let Some(e) = stream.take_error()? {
///         return Err(e);
///     }
///     match stream.peer_addr() {
///         Ok(_) => break, // connected
///         Err(e) if e.kind() == std::io::ErrorKind::NotConnected => continue,
///         Err(e) => return Err(e),
///     }
/// }
/// stream.write_all(b"hello")?;
/// # Ok(())
/// # }
/// ```
pub struct TcpStream {
    inner: IoSource<net::TcpStream>,
}

impl TcpStream {
    /// Starts connecting to `addr` and returns at once, usually before the connection is
    /// established: register the stream for writable events and follow the
    /// [connect protocol](crate::net#connecting).
    ///
    /// On Linux this is two system calls: `socket` and `connect` (whose `EINPROGRESS` is not
    /// an error here).
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let fd = socket::tcp_connect(&addr)?;
        Ok(TcpStream::from_std(net::TcpStream::from(fd)))
    }

    /// Wraps a std stream. It must already be non-blocking (`stream.set_nonblocking(true)`):
    /// this function does not change it.
    pub fn from_std(stream: net::TcpStream) -> TcpStream {
        TcpStream {
            inner: IoSource::new(stream),
        }
    }

    /// The address of the peer. While a connect is still in progress this fails with
    /// `NotConnected` (`ENOTCONN`).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        // Part of the connect protocol, which waits for writability.
        self.inner.write_op(|s| socket::peer_addr(s.as_fd()))
    }

    /// The local address of the stream.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.any_op(|s| socket::local_addr(s.as_fd()))
    }

    /// Shuts down the reading half, the writing half or both. After `Shutdown::Write` the
    /// peer reads end-of-file (and its event shows `is_read_closed`).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.any_op(|s| socket::shutdown(s.as_fd(), how))
    }

    /// Turns Nagle's algorithm off (`true`) or on (`TCP_NODELAY`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner
            .any_op(|s| socket::set_nodelay(s.as_fd(), nodelay))
    }

    /// Whether Nagle's algorithm is off (`TCP_NODELAY`).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.any_op(|s| socket::nodelay(s.as_fd()))
    }

    /// Sets the time-to-live (`IP_TTL`) of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.any_op(|s| socket::set_ttl(s.as_fd(), ttl))
    }

    /// The time-to-live (`IP_TTL`) of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.any_op(|s| socket::ttl(s.as_fd()))
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`), if any. After a writable
    /// event on a connecting stream, `Some` means the connection failed.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        // Part of the connect protocol, which waits for writability.
        self.inner.write_op(|s| socket::take_error(s.as_fd()))
    }

    /// Reads waiting data without removing it from the socket (`MSG_PEEK`); returns
    /// `WouldBlock` if there is none. Peeking does not use up the readable event: if data is
    /// waiting, the next read finds it.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_op(|s| socket::peek(s.as_fd(), buf))
    }

    /// Runs `f`, which does I/O on this stream's fd by other means (for example through
    /// `as_raw_fd` and libc), so that a `WouldBlock` from it is handled like one from ferrio's
    /// own methods: the next readiness change is still reported, on every backend. `f` must
    /// return `WouldBlock` if and only if the fd was not ready.
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.any_op(|_| f())
    }
}

socket_impls!(TcpStream, net::TcpStream);
stream_io!(TcpStream);
