use std::io;
use std::net::{self, Shutdown, SocketAddr};

use crate::io_source::IoSource;
use crate::sys::{socket, AsIo};
use crate::Interest;

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
    #[cfg(not(ferrio_wasi))] // WASI preview 1 cannot create sockets (as in mio).
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        socket::tcp_connect(&addr).map(TcpStream::from)
    }

    /// Starts connecting to `target_addr` from the local address `bind_addr`, and returns at
    /// once like [`connect`](TcpStream::connect) (follow the
    /// [connect protocol](crate::net#connecting)).
    ///
    /// `bind_addr` chooses the address the connection leaves from (and with it, on most
    /// systems, the interface), its port the local port; port 0 lets the system pick one. On
    /// Linux and Android a port-0 bind sets `IP_BIND_ADDRESS_NO_PORT` first, so the port is
    /// picked at connect time, when the kernel knows the peer and can use the same local port
    /// for connections to different peers: busy clients then do not run out of ephemeral
    /// ports. For other options before connecting, use [`TcpSocket`](crate::net::TcpSocket).
    ///
    /// Errors: both addresses must be of the same family
    /// ([`ErrorKind::InvalidInput`](io::ErrorKind::InvalidInput) otherwise); a local address
    /// in use fails with `AddrInUse`, one not on this host with `AddrNotAvailable`. No fd is
    /// left open on error. A refused connection is reported through the connect protocol
    /// (`take_error`), not here.
    ///
    /// On Linux this is `socket`, (`setsockopt`,) `bind` and `connect`. Available on Unix and
    /// Windows.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use ferrio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = TcpStream::bind_connect(
    ///     "127.0.0.1:0".parse().unwrap(),
    ///     listener.local_addr()?,
    /// )?;
    /// assert_eq!(stream.local_addr()?.ip(), std::net::Ipv4Addr::LOCALHOST);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(not(ferrio_wasi))]
    pub fn bind_connect(bind_addr: SocketAddr, target_addr: SocketAddr) -> io::Result<TcpStream> {
        socket::tcp_bind_connect(&bind_addr, &target_addr).map(TcpStream::from)
    }

    /// The address of the peer. While a connect is still in progress this fails with
    /// `NotConnected` (`ENOTCONN`).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        // Part of the connect protocol, which waits for writability.
        self.inner.write_op(|s| socket::peer_addr(s.as_io()))
    }

    /// Shuts down the reading half, the writing half or both. After `Shutdown::Write` the
    /// peer reads end-of-file (and its event shows `is_read_closed`).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.with_socket(|s| socket::shutdown(s, how))
    }

    // Part of the connect protocol, which waits for writability.
    take_error_method!(
        ip: Interest::WRITABLE,
        #[doc = "After a writable event on a connecting stream, `Some` means the connection failed."]
    );

    /// Reads waiting data without removing it from the socket (`MSG_PEEK`); returns
    /// `WouldBlock` if there is none. Peeking does not use up the readable event: if data is
    /// waiting, the next read finds it.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_op(|s| socket::peek(s.as_io(), buf))
    }

    crate::io_source::try_io_method!("stream");
}

socket_impls!(TcpStream, net::TcpStream, SocketAddr);
stream_io!(TcpStream);
ttl_options!(TcpStream);

/// Doc-test setup for the option methods: `socket` is a connecting IPv4 (IPv6) stream.
#[cfg(not(ferrio_wasi))]
macro_rules! stream_v4 {
    () => {
        concat!(
            "let listener = ferrio::net::TcpListener::bind(\"127.0.0.1:0\".parse().unwrap())?;\n",
            "let socket = ferrio::net::TcpStream::connect(listener.local_addr()?)?;",
        )
    };
}
// `tclass_v6`, the only option that shows IPv6 setup, is missing on Windows, Haiku and Redox.
#[cfg_attr(not(ferrio_tclass_v6), allow(unused_macros))]
#[cfg(not(ferrio_wasi))]
macro_rules! stream_v6 {
    () => {
        concat!(
            "let listener = ferrio::net::TcpListener::bind(\"[::1]:0\".parse().unwrap())?;\n",
            "let socket = ferrio::net::TcpStream::connect(listener.local_addr()?)?;",
        )
    };
}

#[cfg(not(ferrio_wasi))]
tcp_options!(TcpStream, stream_v4!());
#[cfg(not(ferrio_wasi))]
buffer_size_options!(TcpStream, stream_v4!());
#[cfg(not(ferrio_wasi))]
traffic_class_options!(TcpStream, stream_v4!(), stream_v6!());

// WASI preview 1: of the options, only mio's `TCP_NODELAY` pair, which std (and so ferrio)
// reports as unsupported there.
#[cfg(ferrio_wasi)]
impl TcpStream {
    option_accessors! {
        /// Sets `TCP_NODELAY`; WASI preview 1 has no socket options, so this returns std's
        /// `Unsupported` error, as in mio.
        set set_nodelay;
        /// Whether `TCP_NODELAY` is set; `Unsupported` on WASI preview 1, as in mio.
        get nodelay: bool;
    }
}
