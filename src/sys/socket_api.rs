//! The interface of the socket layer, and what both platforms' socket layers share.
//!
//! `crate::net` calls the socket layer only through the free functions of `sys::socket`
//! (`sys/unix/socket/` or `sys/windows/socket/`). Three kinds of them:
//!
//! - written once here for both platforms: the compound calls behind the public constructors
//!   ([`tcp_listener`], [`tcp_connect`], [`tcp_bind_connect`], [`udp_bind`]) and
//!   [`only_v6_named`];
//! - written once here and expanded by each platform: the options that are one boolean or
//!   integer ([`plain_options!`], one table per topic, expanded in that topic's file
//!   `socket/opt/<topic>.rs`);
//! - written by each platform: everything else. `socket_interface!` below lists each of
//!   them with its signature in platform-neutral types ([`BorrowedIo`] is a `BorrowedFd` on
//!   Unix and a `BorrowedSocket` on Windows, [`OwnedIo`] likewise) and makes the compiler
//!   check the platform's module against that list: a function that is missing, or whose
//!   signature drifted on one platform, fails the build of that platform. This is what
//!   `SelectorApi` does for the selectors, kept as a list of functions rather than a trait so
//!   that each function stays in the file of its topic.
//!
//! The option topics, the same files on both platforms: `opt/mod.rs` (typed `getsockopt` and
//! `setsockopt`, and the socket-level options), `ip`, `ipv6`, `tcp`, `udp` (broadcast and
//! multicast), `buffers` (buffer sizes and linger).
//!
//! Adding a socket option: a boolean or integer one is one line in the topic's table in
//! [`plain_options!`]; any other is a function in the topic file of each platform, listed in
//! `socket_interface!`. Then add the public methods to the option macros in
//! `net/options.rs` (`option_accessors!` for a plain setter and getter).
//!
//! # Values out of range
//!
//! The public option methods take `u32` where the kernel takes a C `int` (or, for a few IPv4
//! multicast options on the BSDs, a byte). A value too large for that type is never wrapped
//! (`u32::MAX` would otherwise become `-1`, which some kernels read as "reset to the
//! default"): it is clamped to the largest value the type holds ([`OptInt::clamp`]),
//! and the kernel then applies its own limits to it or refuses it with its own error. Times
//! are rounded up to whole units and clamped the same way ([`whole_secs`]).

use std::io;
use std::time::Duration;

use std::net::SocketAddr;
// Signatures of the interface name these (see `socket_interface!`).
#[allow(unused_imports)]
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown};

use super::socket;
use super::{AsIo, BorrowedIo, OwnedIo};

/// Whether a socket carries a byte stream or datagrams.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Stream,
    Datagram,
}

/// Keep-alive parameters: idle time, probe interval, probe count. `None` means "leave as is"
/// when setting and "this system has no such option" when reading.
pub(crate) type KeepaliveParams = (Option<Duration>, Option<Duration>, Option<u32>);

/// A C type an option value is passed as: a C `int` or `DWORD`, or on some systems a byte.
pub(crate) trait OptInt: Copy {
    /// A `u32` value from the public API: clamped to the type, never wrapped.
    fn clamp(v: u32) -> Self;
    /// The value as the public API reports it (a negative value, which no option here
    /// reports, reads as 0).
    fn to_u32(self) -> u32;
    fn from_bool(on: bool) -> Self;
}

macro_rules! opt_int {
    ($($t:ty)*) => {$(
        impl OptInt for $t {
            fn clamp(v: u32) -> $t {
                <$t>::try_from(v).unwrap_or(<$t>::MAX)
            }
            fn to_u32(self) -> u32 {
                u32::try_from(self).unwrap_or(0)
            }
            fn from_bool(on: bool) -> $t {
                <$t>::from(on)
            }
        }
    )*};
}
opt_int!(i32 u32 u8);

/// A `u32` option value as the C `int` the kernel takes: clamped, never wrapped.
pub(crate) fn clamp_int(v: u32) -> i32 {
    OptInt::clamp(v)
}

/// A duration as whole seconds for the kernel: a fraction of a second counts as a full second
/// (so a short non-zero time never becomes 0, which means "off" or is refused), and anything
/// beyond `max` is clamped to it.
pub(crate) fn whole_secs(d: Duration, max: u64) -> u64 {
    d.as_secs()
        .saturating_add(u64::from(d.subsec_nanos() > 0))
        .min(max)
}

/// An option the target does not have. Allocates only on this error path.
pub(crate) fn unsupported(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, message)
}

/// `bind_connect` with a local and a remote address of different families.
pub(crate) fn same_family(local: &SocketAddr, target: &SocketAddr) -> io::Result<()> {
    if local.is_ipv4() == target.is_ipv4() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "bind_connect: bind_addr and target_addr are of different address families",
        ))
    }
}

/// socket + (`SO_REUSEADDR` where the platform wants it) + bind + listen, with the backlog
/// std's `TcpListener::bind` uses (`TCP_BACKLOG` of the platform).
pub(crate) fn tcp_listener(addr: &SocketAddr) -> io::Result<OwnedIo> {
    let s = socket::inet_new(addr.is_ipv6(), Kind::Stream)?;
    if socket::LISTENER_REUSEADDR {
        socket::set_reuseaddr(s.as_io(), true)?;
    }
    socket::bind(s.as_io(), addr)?;
    socket::listen(s.as_io(), socket::TCP_BACKLOG)?;
    Ok(s)
}

/// socket + connect; the connection completes in the background.
pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<OwnedIo> {
    let s = socket::inet_new(addr.is_ipv6(), Kind::Stream)?;
    socket::connect_stream(s.as_io(), addr)?;
    Ok(s)
}

/// socket + bind + connect: a connection from a chosen local address. With port 0 on Linux,
/// `IP_BIND_ADDRESS_NO_PORT` first, so that the port is picked by `connect` (which knows the
/// peer and can share a local port among different peers) rather than by `bind` (which must
/// reserve one for the socket alone). Kernels before 4.2 lack that option; the bind then picks
/// the port itself, as everywhere else.
pub(crate) fn tcp_bind_connect(local: &SocketAddr, target: &SocketAddr) -> io::Result<OwnedIo> {
    same_family(local, target)?;
    let s = socket::inet_new(target.is_ipv6(), Kind::Stream)?;
    #[cfg(ferrio_bind_no_port)]
    if local.port() == 0 {
        // Only an optimisation: without it the bind reserves a port, which also works.
        let _ = socket::set_bind_address_no_port(s.as_io(), true);
    }
    socket::bind(s.as_io(), local)?;
    socket::connect_stream(s.as_io(), target)?;
    Ok(s)
}

/// socket + bind.
pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<OwnedIo> {
    let s = socket::inet_new(addr.is_ipv6(), Kind::Datagram)?;
    socket::bind(s.as_io(), addr)?;
    Ok(s)
}

/// An IP address family, for [`named_family`](super::socket::named_family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Without IP_TOS (WASI) no IPv4-only option names its family.
#[cfg_attr(ferrio_no_ip_tos, allow(dead_code))]
pub(crate) enum Family {
    V4,
    V6,
}

/// `IPV6_V6ONLY` as `TcpSocket::only_v6` and `UdpSocketBuilder::only_v6` report it: on an IPv4
/// socket an `InvalidInput` error that names the method, where the system can tell. (The
/// `only_v6` of `UdpSocket`, part of mio's API, keeps the plain OS error.)
pub(crate) fn only_v6_named(s: BorrowedIo<'_>) -> io::Result<bool> {
    socket::only_v6(s)
        .map_err(|e| socket::named_family(s, Family::V6, "only_v6: socket is not IPv6", e))
}

/// The getters and setters of the options that are one boolean or integer, for one topic,
/// written once for both platforms: `plain_options!(ip)` in `socket/opt/ip.rs` of each
/// platform, and so on. Each entry is `kind(C type) getter, setter = level, name`, and for an
/// option of one IP family `, named V4 "IPv4"` (see `named_family`); the C type
/// (`Flag`, `Int`, `MulticastV4`), the module `c` of the constants (libc or WinSock) and
/// `getsockopt`/`setsockopt` are those in scope where the macro is called.
macro_rules! plain_options {
    (socket) => { $crate::sys::socket_api::plain_options!(@fns
        bool(Flag) reuseaddr, set_reuseaddr = SOL_SOCKET, SO_REUSEADDR;
    ); };
    (ip) => { $crate::sys::socket_api::plain_options!(@fns
        u32(Int) ttl, set_ttl = IPPROTO_IP, IP_TTL;
        #[cfg(not(ferrio_no_ip_tos))]
        u32(Int) tos_v4, set_tos_v4 = IPPROTO_IP, IP_TOS, named V4 "IPv4";
    ); };
    (ipv6) => { $crate::sys::socket_api::plain_options!(@fns
        #[cfg(ferrio_tclass_v6)]
        u32(Int) tclass_v6, set_tclass_v6 = IPPROTO_IPV6, IPV6_TCLASS, named V6 "IPv6";
    ); };
    (tcp) => { $crate::sys::socket_api::plain_options!(@fns
        bool(Flag) nodelay, set_nodelay = IPPROTO_TCP, TCP_NODELAY;
        bool(Flag) keepalive, set_keepalive = SOL_SOCKET, SO_KEEPALIVE;
    ); };
    (udp) => { $crate::sys::socket_api::plain_options!(@fns
        bool(Flag) broadcast, set_broadcast = SOL_SOCKET, SO_BROADCAST;
        bool(MulticastV4) multicast_loop_v4, set_multicast_loop_v4 = IPPROTO_IP, IP_MULTICAST_LOOP;
        u32(MulticastV4) multicast_ttl_v4, set_multicast_ttl_v4 = IPPROTO_IP, IP_MULTICAST_TTL;
        bool(Flag) multicast_loop_v6, set_multicast_loop_v6 = IPPROTO_IPV6, IPV6_MULTICAST_LOOP;
    ); };
    (buffers) => { $crate::sys::socket_api::plain_options!(@fns
        u32(Int) recv_buffer_size, set_recv_buffer_size = SOL_SOCKET, SO_RCVBUF;
        u32(Int) send_buffer_size, set_send_buffer_size = SOL_SOCKET, SO_SNDBUF;
    ); };
    (@fns $($(#[cfg($cfg:meta)])* $kind:ident($c_type:ty) $get:ident, $set:ident =
        $level:ident, $name:ident $(, named $family:ident $family_name:literal)?;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        $(#[cfg($cfg)])*
        pub(crate) fn $set(s: $crate::sys::BorrowedIo<'_>, value: $kind) -> ::std::io::Result<()> {
            let value = $crate::sys::socket_api::plain_options!(@to $kind $c_type, value);
            let result = setsockopt(s, c::$level, c::$name, value);
            $(let result = $crate::sys::socket_api::plain_options!(
                @named s, result, $set, $family, $family_name);)?
            result
        }

        #[doc = concat!("`", stringify!($name), "`.")]
        $(#[cfg($cfg)])*
        pub(crate) fn $get(s: $crate::sys::BorrowedIo<'_>) -> ::std::io::Result<$kind> {
            let result = getsockopt::<$c_type>(s, c::$level, c::$name)
                .map(|value| $crate::sys::socket_api::plain_options!(@from $kind value));
            $(let result = $crate::sys::socket_api::plain_options!(
                @named s, result, $get, $family, $family_name);)?
            result
        }
    )*};
    // An option of one IP family: on a socket of the other, an error naming the method.
    (@named $s:ident, $result:ident, $method:ident, $family:ident, $family_name:literal) => {
        $result.map_err(|e| {
            let message = concat!(stringify!($method), ": socket is not ", $family_name);
            super::named_family($s, $crate::sys::socket_api::Family::$family, message, e)
        })
    };
    (@to bool $c_type:ty, $v:ident) => { <$c_type as $crate::sys::socket_api::OptInt>::from_bool($v) };
    (@to u32 $c_type:ty, $v:ident) => { <$c_type as $crate::sys::socket_api::OptInt>::clamp($v) };
    (@from bool $v:ident) => { $crate::sys::socket_api::OptInt::to_u32($v) != 0 };
    (@from u32 $v:ident) => { $crate::sys::socket_api::OptInt::to_u32($v) };
}
pub(crate) use plain_options;

/// Checks that `sys::socket` has each listed function with exactly the listed signature.
macro_rules! socket_interface {
    ($( $(#[cfg($cfg:meta)])* fn $name:ident($($arg:ty),* $(,)?) -> $ret:ty; )*) => {
        #[allow(dead_code)]
        const _: () = {
            $( $(#[cfg($cfg)])* let _: fn($($arg),*) -> $ret = super::socket::$name; )*
        };
    };
}

socket_interface! {
    // (The options `plain_options!` writes are the same code on both platforms and are not
    // listed.)

    // Creating sockets: non-blocking, close-on-exec or not inheritable, and on Apple systems
    // without SIGPIPE. (The compound calls behind the public constructors, `tcp_listener` and
    // so on, are written once above in terms of these; each platform adds `TCP_BACKLOG` and
    // `LISTENER_REUSEADDR`.)
    fn inet_new(bool, Kind) -> io::Result<OwnedIo>;
    fn bind(BorrowedIo<'_>, &SocketAddr) -> io::Result<()>;
    fn listen(BorrowedIo<'_>, u32) -> io::Result<()>;
    fn connect_stream(BorrowedIo<'_>, &SocketAddr) -> io::Result<()>;
    fn connect(BorrowedIo<'_>, &SocketAddr) -> io::Result<()>;
    fn accept(BorrowedIo<'_>) -> io::Result<(OwnedIo, SocketAddr)>;

    // Addresses and data.
    fn local_addr(BorrowedIo<'_>) -> io::Result<SocketAddr>;
    fn peer_addr(BorrowedIo<'_>) -> io::Result<SocketAddr>;
    fn recv(BorrowedIo<'_>, &mut [u8]) -> io::Result<usize>;
    fn peek(BorrowedIo<'_>, &mut [u8]) -> io::Result<usize>;
    fn recv_vectored(BorrowedIo<'_>, &mut [io::IoSliceMut<'_>]) -> io::Result<usize>;
    fn send(BorrowedIo<'_>, &[u8]) -> io::Result<usize>;
    fn send_vectored(BorrowedIo<'_>, &[io::IoSlice<'_>]) -> io::Result<usize>;
    fn recv_from(BorrowedIo<'_>, &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn peek_from(BorrowedIo<'_>, &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn send_to(BorrowedIo<'_>, &[u8], &SocketAddr) -> io::Result<usize>;
    fn shutdown(BorrowedIo<'_>, Shutdown) -> io::Result<()>;

    // Socket-level options (`opt/mod.rs`).
    fn take_error(BorrowedIo<'_>) -> io::Result<Option<io::Error>>;
    fn named_family(BorrowedIo<'_>, Family, &'static str, io::Error) -> io::Error;
    #[cfg(ferrio_reuseport)]
    fn set_reuseport(BorrowedIo<'_>, bool) -> io::Result<()>;
    #[cfg(ferrio_reuseport)]
    fn reuseport(BorrowedIo<'_>) -> io::Result<bool>;
    #[cfg(ferrio_bindtodevice)]
    fn bind_device(BorrowedIo<'_>, Option<&[u8]>) -> io::Result<()>;
    #[cfg(ferrio_bindtodevice)]
    fn device(BorrowedIo<'_>) -> io::Result<Option<Vec<u8>>>;

    // IP (`opt/ip.rs`) and IPv6 (`opt/ipv6.rs`).
    fn set_only_v6(BorrowedIo<'_>, bool) -> io::Result<()>;
    fn only_v6(BorrowedIo<'_>) -> io::Result<bool>;

    // TCP (`opt/tcp.rs`).
    fn set_tcp_keepalive(BorrowedIo<'_>, KeepaliveParams) -> io::Result<()>;
    fn tcp_keepalive(BorrowedIo<'_>) -> io::Result<KeepaliveParams>;

    // UDP: broadcast and multicast (`opt/udp.rs`).
    fn multicast_v4(BorrowedIo<'_>, Membership, &Ipv4Addr, &Ipv4Addr) -> io::Result<()>;
    fn multicast_v6(BorrowedIo<'_>, Membership, &Ipv6Addr, u32) -> io::Result<()>;

    // Buffers and linger (`opt/buffers.rs`).
    fn set_linger(BorrowedIo<'_>, Option<Duration>) -> io::Result<()>;
    fn linger(BorrowedIo<'_>) -> io::Result<Option<Duration>>;
}

/// Joining or leaving a multicast group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Membership {
    Join,
    Leave,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_clamp() {
        assert_eq!(clamp_int(u32::MAX), i32::MAX);
        assert_eq!(clamp_int(i32::MAX as u32 + 1), i32::MAX);
        assert_eq!(clamp_int(7), 7);
        assert_eq!(<u8 as OptInt>::clamp(256), 255);
        assert_eq!(<u8 as OptInt>::clamp(64), 64);
        assert_eq!(<u32 as OptInt>::clamp(u32::MAX), u32::MAX);
        assert_eq!((-1i32).to_u32(), 0);
    }

    #[test]
    fn seconds_round_up_and_clamp() {
        assert_eq!(whole_secs(Duration::ZERO, 100), 0);
        assert_eq!(whole_secs(Duration::from_millis(1), 100), 1);
        assert_eq!(whole_secs(Duration::from_secs(5), 100), 5);
        assert_eq!(whole_secs(Duration::from_millis(5_001), 100), 6);
        assert_eq!(whole_secs(Duration::MAX, 100), 100);
    }
}
