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
//! [`TcpListener::bind`] listens with the backlog std's `TcpListener::bind` uses, as mio
//! does since 1.1: 128 (20 on Horizon, 32 on Haiku), on Windows too; [`TcpSocket::listen`]
//! takes any backlog.
//!
//! # Options not offered here
//!
//! Every type implements `AsFd`, so socket2 reaches any other option without taking the
//! socket over: `socket2::SockRef::from(&socket).set_quickack(true)`. Sockets built with
//! socket2 are adopted with `from_std` or `From<OwnedFd>` (make them non-blocking first).

/// The conversions between a socket type and the platform's handle types: `OwnedFd`,
/// `RawFd`, `AsFd` on Unix.
#[cfg(unix)]
macro_rules! handle_impls {
    ($ty:ident, $std:ty) => {
        impl From<::std::os::fd::OwnedFd> for $ty {
            /// Adopts `fd` as it is (see `from_std`): it is not made non-blocking.
            fn from(fd: ::std::os::fd::OwnedFd) -> $ty {
                $ty::from_std(<$std>::from(fd))
            }
        }

        impl From<$ty> for ::std::os::fd::OwnedFd {
            fn from(socket: $ty) -> ::std::os::fd::OwnedFd {
                socket.inner.into_inner().into()
            }
        }

        impl ::std::os::fd::FromRawFd for $ty {
            /// Adopts `fd` as it is (see `from_std`): it is not made non-blocking.
            ///
            /// # Safety
            ///
            /// `fd` must be an open socket of the right kind that the caller owns and hands
            /// over; nothing else may close it.
            unsafe fn from_raw_fd(fd: ::std::os::fd::RawFd) -> $ty {
                // SAFETY: the caller hands over ownership of an open socket fd.
                $ty::from(unsafe {
                    <::std::os::fd::OwnedFd as ::std::os::fd::FromRawFd>::from_raw_fd(fd)
                })
            }
        }

        impl ::std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                ::std::os::fd::AsRawFd::as_raw_fd(&self.inner)
            }
        }

        impl ::std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                ::std::os::fd::AsFd::as_fd(&self.inner)
            }
        }

        impl ::std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> ::std::os::fd::RawFd {
                ::std::os::fd::IntoRawFd::into_raw_fd(self.inner.into_inner())
            }
        }
    };
}

/// The conversions between a socket type and the platform's handle types: `OwnedSocket`,
/// `RawSocket`, `AsSocket` on Windows.
#[cfg(windows)]
macro_rules! handle_impls {
    ($ty:ident, $std:ty) => {
        impl From<::std::os::windows::io::OwnedSocket> for $ty {
            /// Adopts `socket` as it is (see `from_std`): it is not made non-blocking.
            fn from(socket: ::std::os::windows::io::OwnedSocket) -> $ty {
                $ty::from_std(<$std>::from(socket))
            }
        }

        impl From<$ty> for ::std::os::windows::io::OwnedSocket {
            fn from(socket: $ty) -> ::std::os::windows::io::OwnedSocket {
                socket.inner.into_inner().into()
            }
        }

        impl ::std::os::windows::io::FromRawSocket for $ty {
            /// Adopts `socket` as it is (see `from_std`): it is not made non-blocking.
            ///
            /// # Safety
            ///
            /// `socket` must be an open socket of the right kind that the caller owns and
            /// hands over; nothing else may close it.
            unsafe fn from_raw_socket(socket: ::std::os::windows::io::RawSocket) -> $ty {
                // SAFETY: the caller hands over ownership of an open socket.
                $ty::from(unsafe {
                    <::std::os::windows::io::OwnedSocket as ::std::os::windows::io::FromRawSocket>::from_raw_socket(socket)
                })
            }
        }

        impl ::std::os::windows::io::AsRawSocket for $ty {
            fn as_raw_socket(&self) -> ::std::os::windows::io::RawSocket {
                ::std::os::windows::io::AsRawSocket::as_raw_socket(&self.inner)
            }
        }

        impl ::std::os::windows::io::AsSocket for $ty {
            fn as_socket(&self) -> ::std::os::windows::io::BorrowedSocket<'_> {
                ::std::os::windows::io::AsSocket::as_socket(&self.inner)
            }
        }

        impl ::std::os::windows::io::IntoRawSocket for $ty {
            fn into_raw_socket(self) -> ::std::os::windows::io::RawSocket {
                ::std::os::windows::io::IntoRawSocket::into_raw_socket(self.inner.into_inner())
            }
        }
    };
}

/// The impls every socket type shares: `Source`, `Debug`, and the std and fd conversions.
macro_rules! socket_impls {
    ($ty:ident, $std:ty) => {
        impl $crate::event::Source for $ty {
            fn register(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                $crate::event::Source::register(&mut self.inner, registry, token, interests)
            }

            fn reregister(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                $crate::event::Source::reregister(&mut self.inner, registry, token, interests)
            }

            fn deregister(&mut self, registry: &$crate::Registry) -> ::std::io::Result<()> {
                $crate::event::Source::deregister(&mut self.inner, registry)
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.inner, f)
            }
        }

        impl From<$ty> for $std {
            /// Unwraps the std socket; it stays non-blocking.
            fn from(socket: $ty) -> $std {
                socket.inner.into_inner()
            }
        }

        handle_impls!($ty, $std);
    };
}

/// `Read` and `Write` for a stream type and for shared references to it. Reads are one `recv`
/// (`recvmsg` when vectored), writes one `send` (`sendmsg`) that never raises `SIGPIPE`;
/// `flush` has nothing to do.
macro_rules! stream_io {
    ($ty:ident) => {
        impl ::std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                ::std::io::Read::read(&mut &*self, buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                ::std::io::Read::read_vectored(&mut &*self, bufs)
            }
        }

        impl ::std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                self.inner
                    .read_op(|s| $crate::sys::socket::recv($crate::sys::AsIo::as_io(s), buf))
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner.read_op(|s| {
                    $crate::sys::socket::recv_vectored($crate::sys::AsIo::as_io(s), bufs)
                })
            }
        }

        impl ::std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                ::std::io::Write::write(&mut &*self, buf)
            }

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                ::std::io::Write::write_vectored(&mut &*self, bufs)
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok(())
            }
        }

        impl ::std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                self.inner
                    .write_op(|s| $crate::sys::socket::send($crate::sys::AsIo::as_io(s), buf))
            }

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner.write_op(|s| {
                    $crate::sys::socket::send_vectored($crate::sys::AsIo::as_io(s), bufs)
                })
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok(())
            }
        }
    };
}

#[macro_use]
mod options;
mod tcp;
mod udp;
mod udp_builder;
#[cfg(unix)]
mod uds;

pub use self::tcp::{TcpKeepalive, TcpListener, TcpSocket, TcpStream};
pub use self::udp::UdpSocket;
pub use self::udp_builder::UdpSocketBuilder;
#[cfg(unix)]
pub use self::uds::{UnixDatagram, UnixListener, UnixStream};
