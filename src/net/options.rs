//! Socket-option methods shared by several types, written once so that an option has the same
//! name, behaviour and documentation on every type that offers it:
//!
//! - `ttl_options!` (`IP_TTL`): `TcpListener`, `TcpStream`, `UdpSocket`, `TcpSocket`;
//! - `bind_options!` (reuseaddr, reuseport, only_v6, bind_device/device): `TcpSocket`,
//!   `UdpSocketBuilder`;
//! - `tcp_options!` (nodelay, linger, zero linger, keep-alive and `TcpKeepalive`):
//!   `TcpSocket`, `TcpStream`;
//! - `broadcast_options!` (`SO_BROADCAST`): `UdpSocket`, `UdpSocketBuilder`;
//! - `buffer_size_options!` (receive and send buffer sizes) and `traffic_class_options!`
//!   (tos_v4 and its older name tos, tclass_v6): `TcpSocket`, `TcpStream`, `UdpSocket`,
//!   `UdpSocketBuilder`.
//!
//! Each macro adds an `impl` block to a type that has a private method
//! `fn with_socket<R>(&self, f: impl FnOnce(BorrowedIo<'_>) -> io::Result<R>) -> io::Result<R>`
//! (written by `socket_impls!` or `builder_impls!` in `net/impls.rs`; on registrable types it
//! goes through `IoSource::any_op`). `$setup` is the doc-test code that makes a value `socket`
//! of the type, `$setup6` the same for IPv6.
//!
//! The `cfg` lists name the targets where libc defines the option; they match the lists in
//! `sys/unix/socket/opt/`. Values too large for the C type of an option are clamped, never
//! wrapped (see "Configuring sockets" in the module documentation).

/// Setters and getters that hand their value to and from the socket layer's function of the
/// same name unchanged, each with its documentation: `set set_x;` writes `set_x(&self, T)`,
/// `get x: T;` writes `x(&self) -> T`.
macro_rules! option_accessors {
    (@one [$(#[$both:meta])*] [$(#[$set_attr:meta])*] $set:ident [$(#[$get_attr:meta])*]
        $get:ident $t:ty) => {
        $(#[$both])*
        $(#[$set_attr])*
        pub fn $set(&self, value: $t) -> ::std::io::Result<()> {
            self.with_socket(|s| $crate::sys::socket::$set(s, value))
        }

        $(#[$both])*
        $(#[$get_attr])*
        pub fn $get(&self) -> ::std::io::Result<$t> {
            self.with_socket($crate::sys::socket::$get)
        }
    };
    // `both: [attributes]` first puts those attributes on every method.
    (both: $both:tt $($(#[$set_attr:meta])* set $set:ident;
        $(#[$get_attr:meta])* get $get:ident: $t:ty;)*) => {$(
        option_accessors!(@one $both [$(#[$set_attr])*] $set [$(#[$get_attr])*] $get $t);
    )*};
    // `fact: ferrio_x` puts every method behind one of build.rs's platform facts, with the
    // docs.rs label naming its systems (`fact_gated!`).
    (fact: $fact:ident $($(#[$set_attr:meta])* set $set:ident;
        $(#[$get_attr:meta])* get $get:ident: $t:ty;)*) => {$(
        fact_gated! { $fact:
            $(#[$set_attr])*
            pub fn $set(&self, value: $t) -> ::std::io::Result<()> {
                self.with_socket(|s| $crate::sys::socket::$set(s, value))
            }
        }

        fact_gated! { $fact:
            $(#[$get_attr])*
            pub fn $get(&self) -> ::std::io::Result<$t> {
                self.with_socket($crate::sys::socket::$get)
            }
        }
    )*};
    ($($rest:tt)*) => {
        option_accessors!(both: [] $($rest)*);
    };
}

/// `IP_TTL`.
macro_rules! ttl_options {
    ($ty:ident) => {
        impl $ty {
            option_accessors! {
                /// Sets the time-to-live (`IP_TTL`) of outgoing packets (on a listener: of the
                /// packets of the connections it accepts). Available on Unix and Windows.
                ///
                /// Kernels refuse values above 255 with their own error (Linux: `EINVAL`); values
                /// above `i32::MAX` are clamped to it first, never wrapped.
                set set_ttl;
                /// The time-to-live (`IP_TTL`) of outgoing packets; see
                /// [`set_ttl`](Self::set_ttl).
                get ttl: u32;
            }
        }
    };
}

/// `SO_BROADCAST`.
macro_rules! broadcast_options {
    ($ty:ident) => {
        impl $ty {
            option_accessors! {
                /// Allows or forbids sending to broadcast addresses (`SO_BROADCAST`). Available on
                /// Unix and Windows.
                set set_broadcast;
                /// Whether sending to broadcast addresses is allowed (`SO_BROADCAST`).
                get broadcast: bool;
            }
        }
    };
}

/// `SO_REUSEADDR`, `SO_REUSEPORT`, `IPV6_V6ONLY`, `SO_BINDTODEVICE`: options that matter
/// before `bind`.
macro_rules! bind_options {
    ($ty:ident, $setup:expr, $setup6:expr) => {
        impl $ty {
            option_accessors! {
                /// Allows binding an address that is still in use in some way (`SO_REUSEADDR`).
                ///
                /// For TCP this lets a restarted server bind its port while connections of its
                /// previous run linger in `TIME_WAIT` ([`TcpListener::bind`] sets it for that
                /// reason). For UDP it lets several sockets bind the same multicast address and
                /// port. Set it before [`bind`](Self::bind). Available on Unix and Windows.
                ///
                /// On Windows the option means more: it lets this socket bind a port that another
                /// socket is actively using, so ferrio's own listeners never set it there and you
                /// should set it only when you mean that.
                ///
                /// [`TcpListener::bind`]: crate::net::TcpListener::bind
                ///
                /// ```
                /// # fn main() -> std::io::Result<()> {
                #[doc = $setup]
                /// socket.set_reuseaddr(true)?;
                /// assert!(socket.reuseaddr()?);
                /// socket.bind("127.0.0.1:0".parse().unwrap())?;
                /// # Ok(())
                /// # }
                /// ```
                set set_reuseaddr;
                /// Whether `SO_REUSEADDR` is set; see [`set_reuseaddr`](Self::set_reuseaddr).
                get reuseaddr: bool;
            }

            option_accessors! {
                fact: ferrio_reuseport
                /// Allows several sockets to bind the same address and port (`SO_REUSEPORT`),
                /// provided each of them sets this before [`bind`](Self::bind) (on Linux: and they
                /// belong to the same user).
                ///
                /// On Linux and DragonFly the kernel spreads incoming connections (or datagrams)
                /// over the sockets, so several listeners (one per thread or process) share the
                /// load. On other systems the last socket bound usually receives everything
                /// (FreeBSD's load-balancing variant, `SO_REUSEPORT_LB`, is not set by this).
                ///
                /// Available where the system has `SO_REUSEPORT`: Linux, Android, Fuchsia, Apple
                /// systems, FreeBSD, DragonFly, NetBSD, OpenBSD, AIX, Haiku, Hurd, QNX Neutrino and
                /// Redox. It does not exist on illumos, Solaris or Cygwin (as in tokio).
                ///
                /// ```
                /// # fn main() -> std::io::Result<()> {
                #[doc = $setup]
                /// socket.set_reuseport(true)?;
                /// assert!(socket.reuseport()?);
                /// # Ok(())
                /// # }
                /// ```
                set set_reuseport;
                /// Whether `SO_REUSEPORT` is set; see [`set_reuseport`](Self::set_reuseport)
                /// (also for where it exists).
                get reuseport: bool;
            }

            /// Restricts an IPv6 socket to IPv6 (`true`) or lets it also carry IPv4 through
            /// IPv4-mapped addresses (`false`) (`IPV6_V6ONLY`). Set it before
            /// [`bind`](Self::bind). Available on Unix and Windows.
            ///
            /// The default is the system's: dual-stack on Linux (`net.ipv6.bindv6only = 0`),
            /// IPv6-only on FreeBSD and OpenBSD (OpenBSD refuses `false`). On an IPv4 socket
            /// this fails with [`ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput)
            /// and a message that names the method.
            ///
            /// ```
            /// # fn main() -> std::io::Result<()> {
            #[doc = $setup6]
            /// socket.set_only_v6(true)?;
            /// assert!(socket.only_v6()?);
            /// # Ok(())
            /// # }
            /// ```
            pub fn set_only_v6(&self, only_v6: bool) -> ::std::io::Result<()> {
                self.with_socket(|s| $crate::sys::socket::set_only_v6(s, only_v6))
            }

            /// Whether the IPv6 socket is restricted to IPv6 (`IPV6_V6ONLY`); on an IPv4
            /// socket [`ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput). See
            /// [`set_only_v6`](Self::set_only_v6).
            pub fn only_v6(&self) -> ::std::io::Result<bool> {
                self.with_socket($crate::sys::socket::only_v6_named)
            }

            fact_gated! { ferrio_bindtodevice:
                /// Binds the socket to a network interface by name (`SO_BINDTODEVICE`), such as
                /// `b"eth0"`: it then only sends and receives through that interface. `None` or an
                /// empty name removes the binding.
                ///
                /// Only on Linux, Android and Fuchsia. Linux before 5.7 requires `CAP_NET_RAW`;
                /// later versions let unprivileged processes bind a socket that is not bound to a
                /// device yet.
                ///
                /// ```
                /// # fn main() -> std::io::Result<()> {
                #[doc = $setup]
                /// match socket.bind_device(Some(b"lo")) {
                ///     Ok(()) => assert_eq!(socket.device()?.as_deref(), Some(&b"lo"[..])),
                ///     // Not allowed for this process.
                ///     Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
                ///     Err(e) => return Err(e),
                /// }
                /// # Ok(())
                /// # }
                /// ```
                pub fn bind_device(&self, interface: Option<&[u8]>) -> ::std::io::Result<()> {
                    self.with_socket(|s| $crate::sys::socket::bind_device(s, interface))
                }
            }

            fact_gated! { ferrio_bindtodevice:
                /// The name of the interface the socket is bound to (`SO_BINDTODEVICE`), or
                /// `None`. Only on Linux, Android and Fuchsia.
                pub fn device(&self) -> ::std::io::Result<Option<Vec<u8>>> {
                    self.with_socket($crate::sys::socket::device)
                }
            }
        }
    };
}

/// `TCP_NODELAY`, `SO_LINGER` and keep-alive: TCP connection options.
macro_rules! tcp_options {
    ($ty:ident, $setup:expr) => {
        impl $ty {
            option_accessors! {
                /// Turns Nagle's algorithm off (`true`) or on (`TCP_NODELAY`); set before
                /// connecting, it carries over to the connection. Available on Unix and Windows.
                set set_nodelay;
                /// Whether Nagle's algorithm is off (`TCP_NODELAY`).
                get nodelay: bool;
            }

            /// Sets what closing the socket does with data not yet sent (`SO_LINGER`).
            ///
            /// - `None` (the default): closing returns at once; the system keeps sending the
            ///   data and closes the connection normally in the background.
            /// - `Some(Duration::ZERO)`: closing discards the data and resets the connection
            ///   (the peer's next read fails with `ConnectionReset`), and the socket does not
            ///   enter `TIME_WAIT`. [`set_zero_linger`](Self::set_zero_linger) does this.
            /// - `Some(time)`: closing (dropping the socket) **blocks the calling thread**
            ///   until the data is sent or `time` has passed, even though the socket is
            ///   non-blocking (on Linux and most systems). Avoid this in an event loop.
            ///
            /// Times are whole seconds; a fraction counts as a full second (so a short non-zero
            /// time never turns into a reset). Available on Unix and Windows (Apple systems:
            /// `SO_LINGER_SEC`).
            pub fn set_linger(
                &self,
                linger: Option<::std::time::Duration>,
            ) -> ::std::io::Result<()> {
                self.with_socket(|s| $crate::sys::socket::set_linger(s, linger))
            }

            /// Makes closing the socket reset the connection and discard unsent data:
            /// [`set_linger(Some(Duration::ZERO))`](Self::set_linger). Available on Unix and
            /// Windows.
            ///
            /// ```
            /// # fn main() -> std::io::Result<()> {
            #[doc = $setup]
            /// socket.set_zero_linger()?;
            /// assert_eq!(socket.linger()?, Some(std::time::Duration::ZERO));
            /// # Ok(())
            /// # }
            /// ```
            pub fn set_zero_linger(&self) -> ::std::io::Result<()> {
                self.set_linger(Some(::std::time::Duration::ZERO))
            }

            /// The `SO_LINGER` setting, in whole seconds; see [`set_linger`](Self::set_linger).
            pub fn linger(&self) -> ::std::io::Result<Option<::std::time::Duration>> {
                self.with_socket($crate::sys::socket::linger)
            }

            option_accessors! {
                /// Turns TCP keep-alive probes on or off (`SO_KEEPALIVE`), with the system's
                /// timing (on Linux: first probe after two hours idle). For other timing use
                /// [`set_tcp_keepalive`](Self::set_tcp_keepalive). Available on Unix and Windows.
                set set_keepalive;
                /// Whether keep-alive probes are on (`SO_KEEPALIVE`).
                get keepalive: bool;
            }

            /// Turns keep-alive on and sets the parameters given in `params`; the others keep
            /// their values.
            ///
            /// A parameter the system cannot set per socket (see the table at
            /// [`TcpKeepalive`](crate::net::TcpKeepalive); on OpenBSD and Haiku: all three)
            /// makes this fail with
            /// [`ErrorKind::Unsupported`](std::io::ErrorKind::Unsupported) before anything is
            /// changed. Values the kernel refuses (Linux: times from 1 to 32767 seconds,
            /// retries from 1 to 127) fail with its error.
            ///
            /// ```
            /// # fn main() -> std::io::Result<()> {
            /// use ferrio::net::TcpKeepalive;
            /// use std::time::Duration;
            ///
            #[doc = $setup]
            /// socket.set_tcp_keepalive(&TcpKeepalive::new().with_time(Duration::from_secs(30)))?;
            /// assert!(socket.keepalive()?);
            /// # #[cfg(target_os = "linux")]
            /// assert_eq!(socket.tcp_keepalive()?.time(), Some(Duration::from_secs(30)));
            /// # Ok(())
            /// # }
            /// ```
            pub fn set_tcp_keepalive(
                &self,
                params: &$crate::net::TcpKeepalive,
            ) -> ::std::io::Result<()> {
                self.with_socket(|s| $crate::sys::socket::set_tcp_keepalive(s, params.to_params()))
            }

            /// The keep-alive parameters as the kernel reports them, in whole seconds. A
            /// parameter the system has no per-socket option for is `None` (see
            /// [`TcpKeepalive`](crate::net::TcpKeepalive)). Whether keep-alive is on at all is
            /// [`keepalive`](Self::keepalive).
            pub fn tcp_keepalive(&self) -> ::std::io::Result<$crate::net::TcpKeepalive> {
                self.with_socket($crate::sys::socket::tcp_keepalive)
                    .map($crate::net::TcpKeepalive::from_params)
            }
        }
    };
}

/// `SO_RCVBUF` and `SO_SNDBUF`.
macro_rules! buffer_size_options {
    ($ty:ident, $setup:expr) => {
        impl $ty {
            option_accessors! {
                /// Asks for a receive buffer of `size` bytes (`SO_RCVBUF`).
                ///
                /// The kernel adjusts the request: Linux doubles it (the extra half is for its own
                /// bookkeeping) and caps it at `net.core.rmem_max`, other systems apply their own
                /// limits. [`recv_buffer_size`](Self::recv_buffer_size) reports the result. Sizes
                /// above `i32::MAX` are clamped. Available on Unix and Windows.
                ///
                /// ```
                /// # fn main() -> std::io::Result<()> {
                #[doc = $setup]
                /// socket.set_recv_buffer_size(64 * 1024)?;
                /// assert!(socket.recv_buffer_size()? >= 64 * 1024);
                /// # Ok(())
                /// # }
                /// ```
                set set_recv_buffer_size;
                /// The size of the receive buffer as the kernel reports it (`SO_RCVBUF`).
                get recv_buffer_size: u32;

                /// Asks for a send buffer of `size` bytes (`SO_SNDBUF`); the kernel adjusts the
                /// request as for [`set_recv_buffer_size`](Self::set_recv_buffer_size) (Linux caps
                /// it at `net.core.wmem_max`). Available on Unix and Windows.
                set set_send_buffer_size;
                /// The size of the send buffer as the kernel reports it (`SO_SNDBUF`).
                get send_buffer_size: u32;
            }
        }
    };
}

/// `IP_TOS` and `IPV6_TCLASS`.
macro_rules! traffic_class_options {
    ($ty:ident, $setup:expr, $setup6:expr) => {
        impl $ty {
            option_accessors! {
                /// Sets the type-of-service byte of outgoing IPv4 packets (`IP_TOS`): the DSCP in
                /// its upper six bits, ECN in the lower two. TCP sockets manage ECN themselves, so
                /// the kernel may clear those two bits. Available on Unix and Windows (Windows
                /// stores the value, but its documentation points to the QoS API for marking
                /// packets and the byte may not reach the wire).
                ///
                /// Linux also applies it to IPv4 traffic of a dual-stack IPv6 socket; where an
                /// IPv6 socket refuses it, the error is
                /// [`ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput) naming the
                /// method. For IPv6 packets use [`set_tclass_v6`](Self::set_tclass_v6).
                ///
                /// ```
                /// # fn main() -> std::io::Result<()> {
                #[doc = $setup]
                /// const EF: u32 = 46 << 2; // DSCP "expedited forwarding"
                /// socket.set_tos_v4(EF)?;
                /// assert_eq!(socket.tos_v4()? & 0xfc, EF);
                /// # Ok(())
                /// # }
                /// ```
                #[cfg(not(ferrio_no_ip_tos))]
                set set_tos_v4;
                /// The type-of-service byte of outgoing IPv4 packets (`IP_TOS`).
                #[cfg(not(ferrio_no_ip_tos))]
                get tos_v4: u32;
            }

            /// The same as [`set_tos_v4`](Self::set_tos_v4), under the name older tokio
            /// versions use.
            #[cfg(not(ferrio_no_ip_tos))]
            pub fn set_tos(&self, tos: u32) -> ::std::io::Result<()> {
                self.set_tos_v4(tos)
            }

            /// The same as [`tos_v4`](Self::tos_v4), under the name older tokio versions use.
            #[cfg(not(ferrio_no_ip_tos))]
            pub fn tos(&self) -> ::std::io::Result<u32> {
                self.tos_v4()
            }

            option_accessors! {
                fact: ferrio_tclass_v6
                /// Sets the traffic class of outgoing IPv6 packets (`IPV6_TCLASS`), the IPv6
                /// counterpart of [`set_tos_v4`](Self::set_tos_v4) (TCP may clear the ECN bits
                /// here too).
                ///
                /// On an IPv4 socket this fails with
                /// [`ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput) and a message that
                /// names the method. Available where the system has `IPV6_TCLASS`: Linux, Android,
                /// Fuchsia, Apple systems, FreeBSD, DragonFly, NetBSD, OpenBSD, illumos, Solaris,
                /// AIX, Hurd, QNX Neutrino and Cygwin (not Haiku or Redox).
                ///
                /// ```
                /// # fn main() -> std::io::Result<()> {
                #[doc = $setup6]
                /// socket.set_tclass_v6(46 << 2)?;
                /// assert_eq!(socket.tclass_v6()? & 0xfc, 46 << 2);
                /// # Ok(())
                /// # }
                /// ```
                set set_tclass_v6;
                /// The traffic class of outgoing IPv6 packets (`IPV6_TCLASS`); see
                /// [`set_tclass_v6`](Self::set_tclass_v6) (also for where it exists).
                get tclass_v6: u32;
            }
        }
    };
}
