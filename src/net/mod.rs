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
//! A datagram larger than the buffer passed to `recv`, `recv_from`, `peek` or `peek_from` is
//! truncated to the buffer's length and the rest is discarded, as on every Unix system (on
//! Windows mio reports an error instead). An empty datagram is a real datagram: the socket is
//! readable and the receive returns `Ok(0)`.
//!
//! # Unix-domain addresses
//!
//! Addresses are std's [`std::os::unix::net::SocketAddr`]. Besides paths, Linux and Android
//! support abstract addresses (`SocketAddrExt::from_abstract_name`) through `bind_addr` and
//! `connect_addr`, and `accept`, `recv_from`, `local_addr` and `peer_addr` report abstract
//! addresses as such.
//!
//! # Options not offered here
//!
//! Like mio, these types offer what std offers. For other options (`SO_LINGER`, keep-alive,
//! buffer sizes, `SO_REUSEPORT`, a larger listen backlog, binding before connecting) borrow the
//! socket with `socket2::SockRef::from(&socket)`, or build it with socket2 and adopt it with
//! `from_std`.

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
                    .read_op(|s| $crate::sys::socket::recv(::std::os::fd::AsFd::as_fd(s), buf))
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner.read_op(|s| {
                    $crate::sys::socket::recv_vectored(::std::os::fd::AsFd::as_fd(s), bufs)
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
                    .write_op(|s| $crate::sys::socket::send(::std::os::fd::AsFd::as_fd(s), buf))
            }

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner.write_op(|s| {
                    $crate::sys::socket::send_vectored(::std::os::fd::AsFd::as_fd(s), bufs)
                })
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok(())
            }
        }
    };
}

mod tcp;
mod udp;
#[cfg(unix)]
mod uds;

pub use self::tcp::{TcpListener, TcpStream};
pub use self::udp::UdpSocket;
#[cfg(unix)]
pub use self::uds::{UnixDatagram, UnixListener, UnixStream};
