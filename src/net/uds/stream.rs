use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::{self, SocketAddr};

use crate::io_source::IoSource;
use crate::sys::socket;
use crate::Interest;

/// A Unix-domain stream connection.
///
/// Read and write it with [`Read`](std::io::Read) and [`Write`](std::io::Write), also
/// implemented for `&UnixStream`; both return `WouldBlock` when the socket is not ready.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::UnixStream;
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::io::{Read, Write};
/// use std::time::Duration;
///
/// let (mut a, mut b) = UnixStream::pair()?;
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut b, Token(1), Interest::READABLE)?;
///
/// a.write_all(b"hi")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// let mut buf = [0; 2];
/// b.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// # Ok(())
/// # }
/// ```
pub struct UnixStream {
    inner: IoSource<net::UnixStream>,
}

impl UnixStream {
    unix_constructors! {
        /// Connects to the socket at the filesystem path `path`. The connection may still be in
        /// progress when this returns: see the [connect protocol](crate::net#connecting). If the
        /// listener's queue is full the error is `WouldBlock`.
        fn connect(path);
        /// Connects to `address`: a path, or on Linux and Android an abstract name. On Linux this
        /// is `socket` and `connect`.
        fn connect_addr(address) = socket::unix_stream_connect(address);
    }

    /// Creates two streams connected to each other (`socketpair`), both non-blocking and
    /// close-on-exec.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = socket::unix_pair(socket::Kind::Stream)?;
        Ok((UnixStream::from(a), UnixStream::from(b)))
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        // Part of the connect protocol, which waits for writability.
        self.inner.write_op(|s| socket::peer_addr(s.as_fd()))
    }

    /// Shuts down the reading half, the writing half or both. After `Shutdown::Write` the
    /// peer reads end-of-file.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.with_socket(|s| socket::shutdown(s, how))
    }

    // Part of the connect protocol, which waits for writability.
    take_error_method!(Interest::WRITABLE);

    crate::io_source::try_io_method!("stream");
}

socket_impls!(UnixStream, net::UnixStream, SocketAddr);
stream_io!(UnixStream);
