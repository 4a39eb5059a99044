use std::io;
use std::os::fd::AsFd;
use std::os::unix::net::{self, SocketAddr};

use crate::io_source::IoSource;
use crate::net::UnixStream;
use crate::sys::socket;
use crate::Interest;

/// A Unix-domain socket that listens for stream connections.
///
/// Register it for [`Interest::READABLE`](crate::Interest) and call
/// [`accept`](UnixListener::accept) after each event until it returns `WouldBlock`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::{UnixListener, UnixStream};
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::time::Duration;
///
/// let dir = std::env::temp_dir().join(format!("ferrio-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// # let _ = std::fs::remove_file(&path);
///
/// let mut poll = Poll::new()?;
/// let mut listener = UnixListener::bind(&path)?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
/// let _client = UnixStream::connect(&path)?;
///
/// let mut events = Events::with_capacity(8);
/// let (_stream, _peer) = loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     match listener.accept() {
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///         other => break other?,
///     }
/// };
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub struct UnixListener {
    inner: IoSource<net::UnixListener>,
}

impl UnixListener {
    unix_constructors! {
        /// Creates a listener bound to the filesystem path `path`, which must not exist yet.
        fn bind(path);
        /// Creates a listener bound to `address`: a path, or on Linux and Android an abstract
        /// name (`SocketAddrExt::from_abstract_name`).
        ///
        /// The socket is non-blocking and close-on-exec and listens with the system's largest
        /// backlog (as std does). On Linux this is `socket`, `bind` and `listen`.
        fn bind_addr(address) = socket::unix_bind(address, socket::Kind::Stream);
    }

    /// Accepts one waiting connection, or returns `WouldBlock` if there is none.
    ///
    /// The new stream is non-blocking and close-on-exec (one `accept4` call on Linux). The
    /// address is the peer's, usually unnamed; abstract peer addresses are returned as such.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.inner
            .read_op(|l| socket::accept(l.as_fd()))
            .map(|(fd, addr)| (UnixStream::from(fd), addr))
    }

    take_error_method!(Interest::READABLE);
}

socket_impls!(UnixListener, net::UnixListener, SocketAddr);
