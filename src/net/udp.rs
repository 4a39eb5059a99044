//! UDP sockets.

use std::io;
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::io_source::IoSource;
use crate::sys::socket::{self, Membership};
use crate::sys::AsIo;
use crate::Interest;

/// A UDP socket.
///
/// Without [`connect`](UdpSocket::connect) it sends to and receives from anyone
/// ([`send_to`](UdpSocket::send_to), [`recv_from`](UdpSocket::recv_from)); once connected,
/// [`send`](UdpSocket::send) and [`recv`](UdpSocket::recv) talk to the one peer. A receive
/// into a buffer shorter than the datagram gets its first part, and on Windows an error (see
/// the [module documentation](crate::net#datagrams)).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::UdpSocket;
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut receiver = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
///
/// let sender = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// sender.send_to(b"ping", receiver.local_addr()?)?;
///
/// let mut events = Events::with_capacity(8);
/// let mut buf = [0; 64];
/// let (n, from) = loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     match receiver.recv_from(&mut buf) {
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///         other => break other?,
///     }
/// };
/// assert_eq!(&buf[..n], b"ping");
/// assert_eq!(from, sender.local_addr()?);
/// # Ok(())
/// # }
/// ```
pub struct UdpSocket {
    inner: IoSource<net::UdpSocket>,
}

impl UdpSocket {
    /// Creates a socket bound to `addr` (port 0 picks a free port). No option is set: unlike
    /// [`TcpListener::bind`](crate::net::TcpListener::bind) there is no `SO_REUSEADDR`. To
    /// set options before binding (address or port sharing, IPv6-only, buffer sizes), use
    /// [`UdpSocketBuilder`](crate::net::UdpSocketBuilder).
    ///
    /// On Linux this is two system calls: `socket` and `bind`.
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        socket::udp_bind(&addr).map(UdpSocket::from)
    }

    /// The address of the connected peer; `NotConnected` if the socket is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.with_socket(socket::peer_addr)
    }

    /// Sends one datagram to `target`; returns the number of bytes sent.
    pub fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.inner
            .write_op(|s| socket::send_to(s.as_io(), buf, &target))
    }

    /// Receives one datagram and the address it came from.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_op(|s| socket::recv_from(s.as_io(), buf))
    }

    /// Like [`recv_from`](UdpSocket::recv_from), but leaves the datagram queued.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_op(|s| socket::peek_from(s.as_io(), buf))
    }

    /// Sends one datagram to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_op(|s| socket::send(s.as_io(), buf))
    }

    /// Receives one datagram from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_op(|s| socket::recv(s.as_io(), buf))
    }

    /// Like [`recv`](UdpSocket::recv), but leaves the datagram queued.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_op(|s| socket::peek(s.as_io(), buf))
    }

    /// Sets the default peer: `send` goes there, and only its datagrams are received.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.with_socket(|s| socket::connect(s, &addr))
    }

    /// Whether IPv4 multicast datagrams sent by this socket are looped back to local
    /// listeners (`IP_MULTICAST_LOOP`).
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.with_socket(|s| socket::set_multicast_loop_v4(s, on))
    }

    /// The `IP_MULTICAST_LOOP` setting.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.with_socket(socket::multicast_loop_v4)
    }

    /// Sets the time-to-live of outgoing IPv4 multicast datagrams (`IP_MULTICAST_TTL`; 1
    /// keeps them on the local network).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.with_socket(|s| socket::set_multicast_ttl_v4(s, ttl))
    }

    /// The `IP_MULTICAST_TTL` setting.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.with_socket(socket::multicast_ttl_v4)
    }

    /// Whether IPv6 multicast datagrams sent by this socket are looped back to local
    /// listeners (`IPV6_MULTICAST_LOOP`).
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.with_socket(|s| socket::set_multicast_loop_v6(s, on))
    }

    /// The `IPV6_MULTICAST_LOOP` setting.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.with_socket(socket::multicast_loop_v6)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address `interface`
    /// (`0.0.0.0` lets the system choose).
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.with_socket(|s| socket::multicast_v4(s, Membership::Join, multiaddr, interface))
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with index `interface`
    /// (0 lets the system choose).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.with_socket(|s| socket::multicast_v6(s, Membership::Join, multiaddr, interface))
    }

    /// Leaves a group joined with [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.with_socket(|s| socket::multicast_v4(s, Membership::Leave, multiaddr, interface))
    }

    /// Leaves a group joined with [`join_multicast_v6`](UdpSocket::join_multicast_v6).
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.with_socket(|s| socket::multicast_v6(s, Membership::Leave, multiaddr, interface))
    }

    /// Whether an IPv6 socket is restricted to IPv6 (`IPV6_V6ONLY`); an error on IPv4
    /// sockets.
    pub fn only_v6(&self) -> io::Result<bool> {
        self.with_socket(socket::only_v6)
    }

    /// Sends many datagrams in one system call where the system allows: see
    /// [`send_batch`](crate::net::send_batch), which this is, with the socket re-armed on
    /// `WouldBlock` like every other send. `state` must have been made for this socket
    /// ([`UdpBatch::new`](crate::net::UdpBatch::new)).
    #[cfg(ferrio_udp_batch)]
    pub fn send_batch(
        &self,
        state: &super::UdpBatch,
        transmits: &[super::Transmit<'_>],
    ) -> io::Result<usize> {
        self.inner
            .write_op(|s| super::udp_batch::send_on(state, s.as_io(), transmits))
    }

    /// Receives many datagrams in one system call where the system allows: see
    /// [`recv_batch`](crate::net::recv_batch), which this is, with the socket re-armed on
    /// `WouldBlock` like every other receive. `state` must have been made for this socket
    /// ([`UdpBatch::new`](crate::net::UdpBatch::new)).
    #[cfg(ferrio_udp_batch)]
    pub fn recv_batch(
        &self,
        state: &super::UdpBatch,
        bufs: &mut [io::IoSliceMut<'_>],
        meta: &mut [super::RecvMeta],
    ) -> io::Result<usize> {
        self.inner
            .read_op(|s| super::udp_batch::recv_on(state, s.as_io(), bufs, meta))
    }

    take_error_method!(
        ip: Interest::READABLE | Interest::WRITABLE,
        #[doc = "Such as an ICMP \"port unreachable\" reported for an earlier send on a connected"],
        #[doc = "socket."]
    );

    crate::io_source::try_io_method!("socket");
}

socket_impls!(UdpSocket, net::UdpSocket, SocketAddr);
ttl_options!(UdpSocket);
broadcast_options!(UdpSocket);
buffer_size_options!(
    UdpSocket,
    "let socket = ferrio::net::UdpSocket::bind(\"127.0.0.1:0\".parse().unwrap())?;"
);
traffic_class_options!(
    UdpSocket,
    "let socket = ferrio::net::UdpSocket::bind(\"127.0.0.1:0\".parse().unwrap())?;",
    "let socket = ferrio::net::UdpSocket::bind(\"[::1]:0\".parse().unwrap())?;"
);
