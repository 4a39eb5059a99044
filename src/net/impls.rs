//! The impls and methods every socket type shares, written once:
//!
//! - `socket_impls!(Type, StdType)` for the registrable types, whose `inner` is an
//!   `IoSource<StdType>`: `Source`, `Debug`, `from_std`, the conversions to the std type and
//!   to and from the platform's handle types, and the private `with_socket` the option macros
//!   (`net/options.rs`) call;
//! - `builder_impls!(Type)` for `TcpSocket` and `UdpSocketBuilder`, whose `inner` is the
//!   owned handle itself: `Debug`, the handle conversions and `with_socket`;
//! - `handle_conversions!`, which both use: `From` the owned handle and into it, and the
//!   `AsFd`/`AsRawFd`/`FromRawFd`/`IntoRawFd` family (`AsSocket`/... on Windows), written
//!   once for both platforms through `with_handle_types!`;
//! - `stream_io!` (`Read` and `Write` for a stream type and its shared reference) and
//!   `take_error_method!`.

/// Calls `$m!($args...)` followed by the platform's handle traits and their methods, and what
/// `Debug` calls the handle.
#[cfg(ferrio_fd)]
macro_rules! with_handle_traits {
    ($m:ident!($($args:tt)*)) => {
        $m!($($args)*
            ::std::os::fd::AsFd => as_fd, ::std::os::fd::AsRawFd => as_raw_fd,
            ::std::os::fd::FromRawFd => from_raw_fd, ::std::os::fd::IntoRawFd => into_raw_fd,
            "fd");
    };
}

/// Calls `$m!($args...)` followed by the platform's handle traits and their methods, and what
/// `Debug` calls the handle.
#[cfg(windows)]
macro_rules! with_handle_traits {
    ($m:ident!($($args:tt)*)) => {
        $m!($($args)*
            ::std::os::windows::io::AsSocket => as_socket,
            ::std::os::windows::io::AsRawSocket => as_raw_socket,
            ::std::os::windows::io::FromRawSocket => from_raw_socket,
            ::std::os::windows::io::IntoRawSocket => into_raw_socket, "socket");
    };
}

/// The conversions between a socket type and the platform's handle types (`OwnedIo` and so
/// on: fds on Unix, sockets on Windows). `|$h| $from` makes the type from the owned handle
/// `$h`, as it is (it is not made non-blocking); `|$s| $into` takes the owned handle out of
/// `$s`.
macro_rules! handle_conversions {
    ($ty:ident, |$h:ident| $from:expr, |$s:ident| $into:expr) => {
        impl From<$crate::sys::OwnedIo> for $ty {
            /// Adopts the handle as it is (see `from_std`): it is not made non-blocking.
            fn from($h: $crate::sys::OwnedIo) -> $ty {
                $from
            }
        }

        impl From<$ty> for $crate::sys::OwnedIo {
            fn from($s: $ty) -> $crate::sys::OwnedIo {
                $into
            }
        }

        with_handle_traits!(handle_conversions!(@traits $ty,));
    };
    (@traits $ty:ident, $As:path => $as_:ident, $AsRaw:path => $as_raw:ident,
        $FromRaw:path => $from_raw:ident, $IntoRaw:path => $into_raw:ident, $name:literal) => {
        impl $As for $ty {
            fn $as_(&self) -> $crate::sys::BorrowedIo<'_> {
                $crate::sys::AsIo::as_io(&self.inner)
            }
        }

        impl $AsRaw for $ty {
            fn $as_raw(&self) -> $crate::sys::RawIo {
                <$crate::sys::BorrowedIo<'_> as $AsRaw>::$as_raw(&$crate::sys::AsIo::as_io(self))
            }
        }

        impl $IntoRaw for $ty {
            fn $into_raw(self) -> $crate::sys::RawIo {
                <$crate::sys::OwnedIo as $IntoRaw>::$into_raw(self.into())
            }
        }

        impl $FromRaw for $ty {
            /// Adopts the handle as it is (see `from_std`): it is not made non-blocking.
            ///
            /// # Safety
            ///
            /// The handle must be an open socket of the right kind (family and type) that the
            /// caller owns and hands over; nothing else may close it.
            unsafe fn $from_raw(raw: $crate::sys::RawIo) -> $ty {
                // SAFETY: the caller hands over an open socket it owns (this function's
                // contract), which is what the owned handle's constructor requires.
                $ty::from(unsafe { <$crate::sys::OwnedIo as $FromRaw>::$from_raw(raw) })
            }
        }
    };
}

/// What every registrable socket type has: `Source`, `Debug`, `from_std`, `local_addr` (of
/// address type `$addr`), the conversions to the std type `$std` and to and from the handle
/// types, and `with_socket`.
macro_rules! socket_impls {
    ($ty:ident, $std:ty, $addr:ty) => {
        $crate::io_source::impl_source!($ty => inner);

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.inner, f)
            }
        }

        impl $ty {
            /// Wraps a std socket. It must already be non-blocking (`set_nonblocking(true)` on
            /// it): this function does not change it.
            pub fn from_std(socket: $std) -> $ty {
                $ty {
                    inner: $crate::io_source::IoSource::new(socket),
                }
            }

            /// The address the socket is bound to (a Unix-domain socket bound to nothing has
            /// the unnamed address).
            pub fn local_addr(&self) -> ::std::io::Result<$addr> {
                self.with_socket($crate::sys::socket::local_addr)
            }

            /// Runs an option call on the handle (see `net/options.rs`).
            fn with_socket<R>(
                &self,
                f: impl FnOnce($crate::sys::BorrowedIo<'_>) -> ::std::io::Result<R>,
            ) -> ::std::io::Result<R> {
                self.inner.any_op(|s| f($crate::sys::AsIo::as_io(s)))
            }
        }

        impl From<$ty> for $std {
            /// Unwraps the std socket; it stays non-blocking.
            fn from(socket: $ty) -> $std {
                socket.inner.into_inner()
            }
        }

        handle_conversions!(
            $ty,
            |handle| $ty::from_std(<$std>::from(handle)),
            |socket| socket.inner.into_inner().into()
        );
    };
}

/// What `TcpSocket` and `UdpSocketBuilder` have: their constructors (`$kind` is a `Kind`,
/// `$protocol` names it in the docs), `Debug`, the handle conversions and `with_socket`. They
/// hold the owned handle in `inner`.
macro_rules! builder_impls {
    ($ty:ident, $kind:ident, $protocol:literal) => {
        impl $ty {
            #[doc = concat!("Creates an unbound IPv4 ", $protocol, " socket (one `socket` call).")]
            pub fn new_v4() -> ::std::io::Result<$ty> {
                $ty::new_family(false)
            }

            #[doc = concat!("Creates an unbound IPv6 ", $protocol, " socket (one `socket` call).")]
            /// Whether it also carries IPv4 is the system's default until
            /// [`set_only_v6`](Self::set_only_v6) says otherwise.
            pub fn new_v6() -> ::std::io::Result<$ty> {
                $ty::new_family(true)
            }

            #[doc = concat!("Creates an unbound ", $protocol, " socket of the family of `addr`")]
            /// (IPv4 or IPv6); `addr` is not used otherwise.
            pub fn new_for_addr(addr: ::std::net::SocketAddr) -> ::std::io::Result<$ty> {
                $ty::new_family(addr.is_ipv6())
            }

            fn new_family(v6: bool) -> ::std::io::Result<$ty> {
                let kind = $crate::sys::socket::Kind::$kind;
                $crate::sys::socket::inet_new(v6, kind).map(|inner| $ty { inner })
            }

            /// Runs an option call on the handle (see `net/options.rs`).
            fn with_socket<R>(
                &self,
                f: impl FnOnce($crate::sys::BorrowedIo<'_>) -> ::std::io::Result<R>,
            ) -> ::std::io::Result<R> {
                f($crate::sys::AsIo::as_io(&self.inner))
            }
        }

        handle_conversions!($ty, |handle| $ty { inner: handle }, |socket| socket.inner);

        with_handle_traits!(builder_impls!(@debug $ty,));
    };
    (@debug $ty:ident, $As:path => $as_:ident, $AsRaw:path => $as_raw:ident,
        $FromRaw:path => $from_raw:ident, $IntoRaw:path => $into_raw:ident, $name:literal) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut d = f.debug_struct(stringify!($ty));
                let addr: ::std::io::Result<::std::net::SocketAddr> =
                    self.with_socket($crate::sys::socket::local_addr);
                if let Ok(addr) = addr {
                    d.field("addr", &addr);
                }
                let raw = $crate::io_source::AsRawIo::as_raw_io(&self.inner);
                d.field($name, &raw).finish()
            }
        }
    };
}

/// `Read` and `Write` for a stream type and for shared references to it. Reads are one `recv`
/// (`recvmsg` when vectored), writes one `send` (`sendmsg`) that never raises `SIGPIPE`.
macro_rules! stream_io {
    ($ty:ident) => {
        $crate::io_source::io_impls!(Read for $ty, |s, buf, bufs|
            $crate::sys::socket::recv($crate::sys::AsIo::as_io(s), buf),
            $crate::sys::socket::recv_vectored($crate::sys::AsIo::as_io(s), bufs));
        $crate::io_source::io_impls!(Write for $ty, |s, buf, bufs|
            $crate::sys::socket::send($crate::sys::AsIo::as_io(s), buf),
            $crate::sys::socket::send_vectored($crate::sys::AsIo::as_io(s), bufs));
    };
}

/// `take_error`, run as an operation of direction `$blocked` (the direction the caller waits
/// for before asking: writability for a connecting stream), after the documentation given.
macro_rules! take_error_method {
    // An IP socket: on Windows the poller may hold an error for it.
    (ip: $blocked:expr $(, #[doc = $doc:literal])*) => {
        take_error_method!(
            $blocked $(, #[doc = $doc])*,
            #[doc = ""],
            #[doc = "On Windows, an error that ferrio's poller met while watching this socket (an"],
            #[doc = "AFD poll request the system refused, which also arrived as an error event) is"],
            #[doc = "returned first."]
        );
    };
    ($blocked:expr $(, #[doc = $doc:literal])*) => {
        /// Returns and clears the socket's pending error (`SO_ERROR`), if any.
        $(#[doc = $doc])*
        pub fn take_error(&self) -> ::std::io::Result<Option<::std::io::Error>> {
            self.inner.take_error($blocked, |s| {
                $crate::sys::socket::take_error($crate::sys::AsIo::as_io(s))
            })
        }
    };
}
