//! Non-blocking TCP, UDP and Unix-domain sockets (feature `net`).
//!
//! Every type here is a thin wrapper around its std counterpart (on epoll exactly the same
//! size), is `Send + Sync`, implements [`event::Source`](crate::event::Source) so it can be
//! registered with a [`Registry`](crate::Registry), and converts to and from the std type and
//! the fd types (`OwnedFd`, `RawFd`, `AsFd`).
//!
//! | type             | std counterpart                    | made by                            |
//! |------------------|------------------------------------|------------------------------------|
//! | [`TcpListener`]  | `std::net::TcpListener`            | `bind`                             |
//! | [`TcpStream`]    | `std::net::TcpStream`              | `connect`, `TcpListener::accept`   |
//! | [`UdpSocket`]    | `std::net::UdpSocket`              | `bind`                             |
//! | [`UnixListener`] | `std::os::unix::net::UnixListener` | `bind`, `bind_addr`                |
//! | [`UnixStream`]   | `std::os::unix::net::UnixStream`   | `connect`(`_addr`), `pair`, accept |
//! | [`UnixDatagram`] | `std::os::unix::net::UnixDatagram` | `bind`(`_addr`), `unbound`, `pair` |
//!
//! Beyond mio, two builders configure a socket before it binds or connects (see
//! [below](#configuring-sockets)): [`TcpSocket`] becomes a `TcpListener` or `TcpStream`,
//! [`UdpSocketBuilder`] becomes a `UdpSocket`.
//!
//! # Non-blocking, edge-triggered
//!
//! Sockets made by this module are non-blocking and close-on-exec from the moment they exist.
//! Operations that would wait return [`io::ErrorKind::WouldBlock`](std::io::ErrorKind) instead;
//! register the socket and try again after an event. Events are edge-triggered: after an event,
//! keep reading (or writing, or accepting) until `WouldBlock`, and only then wait again.
//!
//! Sockets adopted with `from_std`, `From<OwnedFd>` or `FromRawFd` are used as they are: make
//! them non-blocking first (`set_nonblocking(true)` on the std type), or operations will block
//! the thread that runs the event loop.
//!
//! # Windows
//!
//! The Unix-domain types do not exist on Windows, and the fd conversions are the socket ones
//! there (`AsSocket`, `AsRawSocket`, `FromRawSocket`, `IntoRawSocket`, `OwnedSocket`).
//! Sockets are created overlapped, non-blocking and not inheritable; listeners never get
//! `SO_REUSEADDR` (on Windows it would let another socket take the port over). `SIGPIPE` does
//! not exist there. The options Windows lacks (`set_reuseport`, `set_tclass_v6`,
//! `bind_device`) are not offered; the keep-alive parameters need Windows 10 1709 or later.
//!
//! # Connecting
//!
//! [`TcpStream::connect`] and [`UnixStream::connect`] return at once, usually before the
//! connection exists. Register the stream for [`Interest::WRITABLE`](crate::Interest) and, when
//! it is reported writable:
//!
//! 1. call `take_error()`: `Some(error)` means the connection failed;
//! 2. call `peer_addr()`: `Ok` means it is established; an error of kind `NotConnected` means
//!    the event came early, so wait for the next one.
//!
//! # Writes never raise `SIGPIPE`
//!
//! Writing to a stream whose peer has gone returns an `EPIPE` error (kind `BrokenPipe`); it
//! never delivers `SIGPIPE` to the process, even when the program has not ignored that signal.
//! This holds for `write` and `write_vectored` on [`TcpStream`] and [`UnixStream`]: Linux and
//! most Unix systems send with `MSG_NOSIGNAL`, Apple systems set `SO_NOSIGPIPE` on every
//! socket ferrio creates or accepts. (Sockets created elsewhere and adopted with `from_std` are
//! covered wherever `MSG_NOSIGNAL` exists.)
//!
//! # Datagrams
//!
//! A datagram larger than the buffer passed to `recv`, `recv_from`, `peek` or `peek_from` fills
//! the buffer with its first part, and the result is the one std's sockets give on the same
//! platform: on Unix the receive returns the buffer's length, on Windows it fails with
//! `WSAEMSGSIZE` (`raw_os_error()` 10040), as std and mio do there. Either way `recv` and
//! `recv_from` discard the rest of the datagram, while `peek` and `peek_from` leave it queued.
//! An empty datagram is a real datagram: the socket is readable and the receive returns
//! `Ok(0)`.
//!
//! # Unix-domain addresses
//!
//! Addresses are std's [`std::os::unix::net::SocketAddr`]. Besides paths, Linux and Android
//! support abstract addresses (`SocketAddrExt::from_abstract_name`) through `bind_addr` and
//! `connect_addr`, and `accept`, `recv_from`, `local_addr` and `peer_addr` report abstract
//! addresses as such.
//!
//! # Configuring sockets
//!
//! mio offers only what std offers, and leaves everything else to socket2. ferrio keeps all of
//! mio's API unchanged and adds the options people reach for most, named as tokio names them:
//!
//! - before binding or connecting: [`TcpSocket`] (shaped like `tokio::net::TcpSocket`: reuse
//!   of addresses and ports, IPv6-only, device binding, a chosen listen backlog, binding
//!   before connecting) and [`UdpSocketBuilder`]; for the common case of connecting from a
//!   chosen local address, [`TcpStream::bind_connect`];
//! - on live sockets, where the option still has an effect: linger and keep-alive
//!   ([`TcpKeepalive`]) on [`TcpStream`]; buffer sizes and the traffic class (`IP_TOS`,
//!   `IPV6_TCLASS`) on [`TcpStream`] and [`UdpSocket`].
//!
//! Each method documents where it is available. An option the system lacks either does not
//! exist on that system (where tokio leaves the same method out: `set_reuseport`,
//! `set_tclass_v6`, `bind_device`) or returns
//! [`ErrorKind::Unsupported`](std::io::ErrorKind::Unsupported) (keep-alive parameters). An
//! option of the other address family (`set_tclass_v6` or `set_only_v6` on an IPv4 socket)
//! returns [`ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput) with a message that
//! names the method. Failed binds and connects close the socket they created.
//!
//! An option value too large for the C type the system takes (a C `int`, or a byte for the
//! IPv4 multicast options on the BSDs, illumos, Solaris and QNX) is clamped to the largest
//! value that type holds, never wrapped: `set_ttl(u32::MAX)` asks for `i32::MAX`, which the
//! kernel refuses with its own error, instead of `-1`, which Linux reads as "reset to the
//! default". Times (linger, keep-alive) are rounded up to whole seconds and clamped the same
//! way.
//!
//! [`TcpListener::bind`] listens with the backlog std's `TcpListener::bind` uses, as mio
//! does since 1.1: 128 (20 on Horizon, 32 on Haiku), on Windows too; [`TcpSocket::listen`]
//! takes any backlog.
//!
//! # Options not offered here
//!
//! Every type implements `AsFd`, so socket2 reaches any other option without taking the
//! socket over: `socket2::SockRef::from(&socket).set_quickack(true)`. Sockets built with
//! socket2 are adopted with `from_std` or `From<OwnedFd>` (make them non-blocking first).

// WASI preview 1 has neither the builders nor most options these macros write.
#[macro_use]
#[cfg_attr(ferrio_wasi, allow(unused_macros))]
mod impls;
#[macro_use]
#[cfg_attr(ferrio_wasi, allow(unused_macros))]
mod options;
mod tcp;
// WASI preview 1 cannot create sockets: only the TCP types, for sockets the runtime hands in
// (as in mio).
#[cfg(not(ferrio_wasi))]
mod udp;
#[cfg(ferrio_udp_batch)]
mod udp_batch;
#[cfg(not(ferrio_wasi))]
mod udp_builder;
#[cfg(unix)]
mod uds;

#[cfg(not(ferrio_wasi))]
pub use self::tcp::{TcpKeepalive, TcpSocket};
pub use self::tcp::{TcpListener, TcpStream};
#[cfg(not(ferrio_wasi))]
pub use self::udp::UdpSocket;
#[cfg(ferrio_udp_batch)]
pub use self::udp_batch::{
    recv_batch, send_batch, AsBatchHandle, EcnCodepoint, RecvMeta, Transmit, UdpBatch,
    MAX_GSO_SEGMENTS, MAX_TRANSMIT_LEN,
};
#[cfg(not(ferrio_wasi))]
pub use self::udp_builder::UdpSocketBuilder;
fact_gated! { not ferrio_no_uds_dgram: pub use self::uds::UnixDatagram; }
#[cfg(unix)]
pub use self::uds::{UnixListener, UnixStream};
