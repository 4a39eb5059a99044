//! A UDP socket configured before it binds.

use std::io;
use std::net::{self, SocketAddr};

use crate::net::UdpSocket;
use crate::sys::{socket, AsIo, OwnedIo};

/// A UDP socket that has not been bound yet: set options, then [`bind`](UdpSocketBuilder::bind)
/// to get a [`UdpSocket`].
///
/// [`UdpSocket::bind`] creates and binds in one step, which leaves no room for the options
/// that only work before binding: `SO_REUSEADDR` and `SO_REUSEPORT` (several receivers on one
/// port), `IPV6_V6ONLY`, and buffer sizes that should be in place before the first datagram
/// arrives.
///
/// The setters have the same style as [`TcpSocket`](crate::net::TcpSocket)'s: they take
/// `&self` and return `io::Result<()>`, so each error is seen where it happens, and the
/// matching getters read back what the kernel made of the request. Only
/// [`bind`](UdpSocketBuilder::bind) consumes the builder. The socket is non-blocking and
/// close-on-exec from the start; options the system does not have are missing from the API
/// on that system or return [`ErrorKind::Unsupported`](io::ErrorKind::Unsupported), as each
/// method says.
///
/// Available on Unix and Windows, like every method not marked otherwise.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// # #[cfg(unix)] { // SO_REUSEPORT is Unix-only.
/// use ferrio::net::UdpSocketBuilder;
///
/// // Two receivers on one port: the kernel spreads datagrams over them (Linux).
/// let first = UdpSocketBuilder::new_v4()?;
/// first.set_reuseport(true)?;
/// let first = first.bind("127.0.0.1:0".parse().unwrap())?;
///
/// let second = UdpSocketBuilder::new_v4()?;
/// second.set_reuseport(true)?;
/// second.set_recv_buffer_size(256 * 1024)?;
/// let second = second.bind(first.local_addr()?)?;
/// assert_eq!(first.local_addr()?, second.local_addr()?);
/// # }
/// # Ok(())
/// # }
/// ```
pub struct UdpSocketBuilder {
    inner: OwnedIo,
}

impl UdpSocketBuilder {
    /// Binds the socket to `addr` (port 0 picks a free port) and returns it, ready to be
    /// registered. On error the socket is closed: a port in use fails with
    /// [`ErrorKind::AddrInUse`](io::ErrorKind::AddrInUse) and leaves no fd behind.
    pub fn bind(self, addr: SocketAddr) -> io::Result<UdpSocket> {
        socket::bind(self.inner.as_io(), &addr)?;
        Ok(UdpSocket::from_std(net::UdpSocket::from(self.inner)))
    }

    /// The address of the socket: before binding, the unspecified address of its family with
    /// port 0.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.inner.as_io())
    }
}

bind_options!(
    UdpSocketBuilder,
    "let socket = ferrio::net::UdpSocketBuilder::new_v4()?;",
    "let socket = ferrio::net::UdpSocketBuilder::new_v6()?;"
);
buffer_size_options!(
    UdpSocketBuilder,
    "let socket = ferrio::net::UdpSocketBuilder::new_v4()?;"
);
traffic_class_options!(
    UdpSocketBuilder,
    "let socket = ferrio::net::UdpSocketBuilder::new_v4()?;",
    "let socket = ferrio::net::UdpSocketBuilder::new_v6()?;"
);
builder_impls!(UdpSocketBuilder, Datagram, "UDP");
broadcast_options!(UdpSocketBuilder);
