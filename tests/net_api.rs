//! The public surface of `ferrio::net`, named item by item with the signatures of the API
//! contract (mio 1.x), so that any drift fails to compile. Also: auto traits and sizes.
// WASI preview 1 cannot create sockets (as in mio): its surface checks name `bind`, `connect`, `UdpSocket` and `TcpSocket`.
#![cfg(not(ferrio_wasi))]
// Unix and Windows: the TCP and UDP types are checked on both, with the fd traits on Unix and
// the socket handle traits on Windows; the Unix-domain types are Unix-only. The other
// Windows-only items (`NamedPipe`, the handle methods' signatures) are in `api_windows.rs`.
#![cfg(all(feature = "net", feature = "os-poll"))]
#![allow(clippy::type_complexity)]

mod util;

use std::io::{self, Read, Write};
use std::net::{self, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
#[cfg(any(unix, target_os = "wasi"))]
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd as OwnedHandle};
#[cfg(unix)]
use std::os::unix::net as unet;
#[cfg(windows)]
use std::os::windows::io::{
    AsRawSocket, AsSocket, FromRawSocket, IntoRawSocket, OwnedSocket as OwnedHandle,
};
#[cfg(unix)]
use std::path::PathBuf;
use std::time::Duration;

use ferrio::event::Source;
use ferrio::net::{TcpKeepalive, TcpListener, TcpSocket, TcpStream, UdpSocket, UdpSocketBuilder};
#[cfg(unix)]
use ferrio::net::{UnixDatagram, UnixListener, UnixStream};

type Try = fn() -> io::Result<()>;

fn is_read<T: Read>() {}
fn is_write<T: Write>() {}
fn is_source<T: Source>() {}
/// The OS handle traits and conversions: the fd ones on Unix.
#[cfg(any(unix, target_os = "wasi"))]
fn is_os_handle<
    T: AsRawFd
        + AsFd
        + IntoRawFd
        + FromRawFd
        + Into<OwnedHandle>
        + From<OwnedHandle>
        + std::fmt::Debug,
>() {
}

/// The OS handle traits and conversions: the socket ones on Windows.
#[cfg(windows)]
fn is_os_handle<
    T: AsRawSocket
        + AsSocket
        + IntoRawSocket
        + FromRawSocket
        + Into<OwnedHandle>
        + From<OwnedHandle>
        + std::fmt::Debug,
>() {
}

#[test]
fn tcp_listener_surface() {
    let _: fn(SocketAddr) -> io::Result<TcpListener> = TcpListener::bind;
    let _: fn(net::TcpListener) -> TcpListener = TcpListener::from_std;
    let _: fn(&TcpListener) -> io::Result<(TcpStream, SocketAddr)> = TcpListener::accept;
    let _: fn(&TcpListener) -> io::Result<SocketAddr> = TcpListener::local_addr;
    let _: fn(&TcpListener, u32) -> io::Result<()> = TcpListener::set_ttl;
    let _: fn(&TcpListener) -> io::Result<u32> = TcpListener::ttl;
    let _: fn(&TcpListener) -> io::Result<Option<io::Error>> = TcpListener::take_error;
    let _: fn(TcpListener) -> net::TcpListener = From::from;
    is_source::<TcpListener>();
    is_os_handle::<TcpListener>();
}

#[test]
fn tcp_stream_surface() {
    let _: fn(SocketAddr) -> io::Result<TcpStream> = TcpStream::connect;
    let _: fn(net::TcpStream) -> TcpStream = TcpStream::from_std;
    let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::peer_addr;
    let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::local_addr;
    let _: fn(&TcpStream, Shutdown) -> io::Result<()> = TcpStream::shutdown;
    let _: fn(&TcpStream, bool) -> io::Result<()> = TcpStream::set_nodelay;
    let _: fn(&TcpStream) -> io::Result<bool> = TcpStream::nodelay;
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_ttl;
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::ttl;
    let _: fn(&TcpStream) -> io::Result<Option<io::Error>> = TcpStream::take_error;
    let _: fn(&TcpStream, &mut [u8]) -> io::Result<usize> = TcpStream::peek;
    let _: fn(&TcpStream, Try) -> io::Result<()> = TcpStream::try_io::<Try, ()>;
    let _: fn(TcpStream) -> net::TcpStream = From::from;
    // Beyond mio (issue 4).
    let _: fn(SocketAddr, SocketAddr) -> io::Result<TcpStream> = TcpStream::bind_connect;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_linger;
    let _: fn(&TcpStream) -> io::Result<()> = TcpStream::set_zero_linger;
    let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::linger;
    let _: fn(&TcpStream, bool) -> io::Result<()> = TcpStream::set_keepalive;
    let _: fn(&TcpStream) -> io::Result<bool> = TcpStream::keepalive;
    let _: fn(&TcpStream, &TcpKeepalive) -> io::Result<()> = TcpStream::set_tcp_keepalive;
    let _: fn(&TcpStream) -> io::Result<TcpKeepalive> = TcpStream::tcp_keepalive;
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_recv_buffer_size;
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::recv_buffer_size;
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_send_buffer_size;
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::send_buffer_size;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_tos;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::tos;
    is_read::<TcpStream>();
    is_read::<&TcpStream>();
    is_write::<TcpStream>();
    is_write::<&TcpStream>();
    is_source::<TcpStream>();
    is_os_handle::<TcpStream>();
}

#[test]
fn udp_socket_surface() {
    let _: fn(SocketAddr) -> io::Result<UdpSocket> = UdpSocket::bind;
    let _: fn(net::UdpSocket) -> UdpSocket = UdpSocket::from_std;
    let _: fn(&UdpSocket) -> io::Result<SocketAddr> = UdpSocket::local_addr;
    let _: fn(&UdpSocket) -> io::Result<SocketAddr> = UdpSocket::peer_addr;
    let _: fn(&UdpSocket, &[u8], SocketAddr) -> io::Result<usize> = UdpSocket::send_to;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<(usize, SocketAddr)> = UdpSocket::recv_from;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<(usize, SocketAddr)> = UdpSocket::peek_from;
    let _: fn(&UdpSocket, &[u8]) -> io::Result<usize> = UdpSocket::send;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<usize> = UdpSocket::recv;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<usize> = UdpSocket::peek;
    let _: fn(&UdpSocket, SocketAddr) -> io::Result<()> = UdpSocket::connect;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_broadcast;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::broadcast;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_multicast_loop_v4;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::multicast_loop_v4;
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_multicast_ttl_v4;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::multicast_ttl_v4;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_multicast_loop_v6;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::multicast_loop_v6;
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_ttl;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::ttl;
    let _: fn(&UdpSocket, &Ipv4Addr, &Ipv4Addr) -> io::Result<()> = UdpSocket::join_multicast_v4;
    let _: fn(&UdpSocket, &Ipv6Addr, u32) -> io::Result<()> = UdpSocket::join_multicast_v6;
    let _: fn(&UdpSocket, &Ipv4Addr, &Ipv4Addr) -> io::Result<()> = UdpSocket::leave_multicast_v4;
    let _: fn(&UdpSocket, &Ipv6Addr, u32) -> io::Result<()> = UdpSocket::leave_multicast_v6;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::only_v6;
    let _: fn(&UdpSocket) -> io::Result<Option<io::Error>> = UdpSocket::take_error;
    let _: fn(&UdpSocket, Try) -> io::Result<()> = UdpSocket::try_io::<Try, ()>;
    let _: fn(UdpSocket) -> net::UdpSocket = From::from;
    // Beyond mio (issue 4).
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_recv_buffer_size;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::recv_buffer_size;
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_send_buffer_size;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::send_buffer_size;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_tos;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::tos;
    is_source::<UdpSocket>();
    is_os_handle::<UdpSocket>();
}

/// `TcpSocket` (beyond mio; named and shaped like `tokio::net::TcpSocket`).
#[test]
fn tcp_socket_surface() {
    let _: fn() -> io::Result<TcpSocket> = TcpSocket::new_v4;
    let _: fn() -> io::Result<TcpSocket> = TcpSocket::new_v6;
    let _: fn(SocketAddr) -> io::Result<TcpSocket> = TcpSocket::new_for_addr;
    let _: fn(&TcpSocket, SocketAddr) -> io::Result<()> = TcpSocket::bind;
    let _: fn(TcpSocket, SocketAddr) -> io::Result<TcpStream> = TcpSocket::connect;
    let _: fn(TcpSocket, u32) -> io::Result<TcpListener> = TcpSocket::listen;
    let _: fn(net::TcpStream) -> TcpSocket = TcpSocket::from_std_stream;
    let _: fn(&TcpSocket, bool) -> io::Result<()> = TcpSocket::set_reuseaddr;
    let _: fn(&TcpSocket) -> io::Result<bool> = TcpSocket::reuseaddr;
    let _: fn(&TcpSocket, Option<Duration>) -> io::Result<()> = TcpSocket::set_linger;
    let _: fn(&TcpSocket) -> io::Result<()> = TcpSocket::set_zero_linger;
    let _: fn(&TcpSocket) -> io::Result<Option<Duration>> = TcpSocket::linger;
    let _: fn(&TcpSocket, bool) -> io::Result<()> = TcpSocket::set_nodelay;
    let _: fn(&TcpSocket) -> io::Result<bool> = TcpSocket::nodelay;
    let _: fn(&TcpSocket, bool) -> io::Result<()> = TcpSocket::set_keepalive;
    let _: fn(&TcpSocket) -> io::Result<bool> = TcpSocket::keepalive;
    let _: fn(&TcpSocket, &TcpKeepalive) -> io::Result<()> = TcpSocket::set_tcp_keepalive;
    let _: fn(&TcpSocket) -> io::Result<TcpKeepalive> = TcpSocket::tcp_keepalive;
    let _: fn(&TcpSocket, u32) -> io::Result<()> = TcpSocket::set_recv_buffer_size;
    let _: fn(&TcpSocket) -> io::Result<u32> = TcpSocket::recv_buffer_size;
    let _: fn(&TcpSocket, u32) -> io::Result<()> = TcpSocket::set_send_buffer_size;
    let _: fn(&TcpSocket) -> io::Result<u32> = TcpSocket::send_buffer_size;
    let _: fn(&TcpSocket, u32) -> io::Result<()> = TcpSocket::set_ttl;
    let _: fn(&TcpSocket) -> io::Result<u32> = TcpSocket::ttl;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpSocket, u32) -> io::Result<()> = TcpSocket::set_tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpSocket) -> io::Result<u32> = TcpSocket::tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpSocket, u32) -> io::Result<()> = TcpSocket::set_tos;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&TcpSocket) -> io::Result<u32> = TcpSocket::tos;
    let _: fn(&TcpSocket, bool) -> io::Result<()> = TcpSocket::set_only_v6;
    let _: fn(&TcpSocket) -> io::Result<bool> = TcpSocket::only_v6;
    let _: fn(&TcpSocket) -> io::Result<SocketAddr> = TcpSocket::local_addr;
    let _: fn(&TcpSocket) -> io::Result<Option<io::Error>> = TcpSocket::take_error;
    let _: fn(TcpSocket) -> OwnedHandle = From::from;
    is_os_handle::<TcpSocket>();
}

/// `TcpKeepalive` (beyond mio; shaped like socket2's type of the same name).
#[test]
fn tcp_keepalive_surface() {
    const _: TcpKeepalive = TcpKeepalive::new()
        .with_time(Duration::from_secs(1))
        .with_interval(Duration::from_secs(1))
        .with_retries(1);
    let _: fn(TcpKeepalive, Duration) -> TcpKeepalive = TcpKeepalive::with_time;
    let _: fn(TcpKeepalive, Duration) -> TcpKeepalive = TcpKeepalive::with_interval;
    let _: fn(TcpKeepalive, u32) -> TcpKeepalive = TcpKeepalive::with_retries;
    let _: fn(&TcpKeepalive) -> Option<Duration> = TcpKeepalive::time;
    let _: fn(&TcpKeepalive) -> Option<Duration> = TcpKeepalive::interval;
    let _: fn(&TcpKeepalive) -> Option<u32> = TcpKeepalive::retries;
    fn value_type<T: Copy + Default + PartialEq + Eq + std::hash::Hash + std::fmt::Debug>() {}
    value_type::<TcpKeepalive>();
}

/// `UdpSocketBuilder` (beyond mio).
#[test]
fn udp_socket_builder_surface() {
    type B = UdpSocketBuilder;
    let _: fn() -> io::Result<B> = B::new_v4;
    let _: fn() -> io::Result<B> = B::new_v6;
    let _: fn(SocketAddr) -> io::Result<B> = B::new_for_addr;
    let _: fn(B, SocketAddr) -> io::Result<UdpSocket> = B::bind;
    let _: fn(&B, bool) -> io::Result<()> = B::set_reuseaddr;
    let _: fn(&B) -> io::Result<bool> = B::reuseaddr;
    let _: fn(&B, bool) -> io::Result<()> = B::set_only_v6;
    let _: fn(&B) -> io::Result<bool> = B::only_v6;
    let _: fn(&B, bool) -> io::Result<()> = B::set_broadcast;
    let _: fn(&B) -> io::Result<bool> = B::broadcast;
    let _: fn(&B, u32) -> io::Result<()> = B::set_recv_buffer_size;
    let _: fn(&B) -> io::Result<u32> = B::recv_buffer_size;
    let _: fn(&B, u32) -> io::Result<()> = B::set_send_buffer_size;
    let _: fn(&B) -> io::Result<u32> = B::send_buffer_size;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&B, u32) -> io::Result<()> = B::set_tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&B) -> io::Result<u32> = B::tos_v4;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&B, u32) -> io::Result<()> = B::set_tos;
    #[cfg(not(ferrio_no_ip_tos))]
    let _: fn(&B) -> io::Result<u32> = B::tos;
    let _: fn(&B) -> io::Result<SocketAddr> = B::local_addr;
    let _: fn(B) -> OwnedHandle = From::from;
    is_os_handle::<B>();
}

// Options that exist only on the systems that have them: build.rs names them once, for the
// library and its tests alike.

#[cfg(ferrio_reuseport)]
#[test]
fn reuseport_surface() {
    let _: fn(&TcpSocket, bool) -> io::Result<()> = TcpSocket::set_reuseport;
    let _: fn(&TcpSocket) -> io::Result<bool> = TcpSocket::reuseport;
    let _: fn(&UdpSocketBuilder, bool) -> io::Result<()> = UdpSocketBuilder::set_reuseport;
    let _: fn(&UdpSocketBuilder) -> io::Result<bool> = UdpSocketBuilder::reuseport;
}

#[cfg(ferrio_tclass_v6)]
#[test]
fn tclass_v6_surface() {
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_tclass_v6;
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::tclass_v6;
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_tclass_v6;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::tclass_v6;
    let _: fn(&TcpSocket, u32) -> io::Result<()> = TcpSocket::set_tclass_v6;
    let _: fn(&TcpSocket) -> io::Result<u32> = TcpSocket::tclass_v6;
    let _: fn(&UdpSocketBuilder, u32) -> io::Result<()> = UdpSocketBuilder::set_tclass_v6;
    let _: fn(&UdpSocketBuilder) -> io::Result<u32> = UdpSocketBuilder::tclass_v6;
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
#[test]
fn bind_device_surface() {
    let _: for<'a> fn(&TcpSocket, Option<&'a [u8]>) -> io::Result<()> = TcpSocket::bind_device;
    let _: fn(&TcpSocket) -> io::Result<Option<Vec<u8>>> = TcpSocket::device;
    let _: for<'a> fn(&UdpSocketBuilder, Option<&'a [u8]>) -> io::Result<()> =
        UdpSocketBuilder::bind_device;
    let _: fn(&UdpSocketBuilder) -> io::Result<Option<Vec<u8>>> = UdpSocketBuilder::device;
}

#[cfg(unix)]
#[test]
fn unix_datagram_surface() {
    let _: fn(PathBuf) -> io::Result<UnixDatagram> = UnixDatagram::bind::<PathBuf>;
    let _: fn(&unet::SocketAddr) -> io::Result<UnixDatagram> = UnixDatagram::bind_addr;
    let _: fn(unet::UnixDatagram) -> UnixDatagram = UnixDatagram::from_std;
    let _: fn(&UnixDatagram, PathBuf) -> io::Result<()> = UnixDatagram::connect::<PathBuf>;
    let _: fn() -> io::Result<UnixDatagram> = UnixDatagram::unbound;
    let _: fn() -> io::Result<(UnixDatagram, UnixDatagram)> = UnixDatagram::pair;
    let _: fn(&UnixDatagram) -> io::Result<unet::SocketAddr> = UnixDatagram::local_addr;
    let _: fn(&UnixDatagram) -> io::Result<unet::SocketAddr> = UnixDatagram::peer_addr;
    let _: fn(&UnixDatagram, &mut [u8]) -> io::Result<(usize, unet::SocketAddr)> =
        UnixDatagram::recv_from;
    let _: fn(&UnixDatagram, &mut [u8]) -> io::Result<usize> = UnixDatagram::recv;
    let _: fn(&UnixDatagram, &[u8], PathBuf) -> io::Result<usize> =
        UnixDatagram::send_to::<PathBuf>;
    let _: fn(&UnixDatagram, &[u8]) -> io::Result<usize> = UnixDatagram::send;
    let _: fn(&UnixDatagram) -> io::Result<Option<io::Error>> = UnixDatagram::take_error;
    let _: fn(&UnixDatagram, Shutdown) -> io::Result<()> = UnixDatagram::shutdown;
    let _: fn(&UnixDatagram, Try) -> io::Result<()> = UnixDatagram::try_io::<Try, ()>;
    let _: fn(UnixDatagram) -> unet::UnixDatagram = From::from;
    is_source::<UnixDatagram>();
    is_os_handle::<UnixDatagram>();
}

#[cfg(unix)]
#[test]
fn unix_listener_surface() {
    let _: fn(PathBuf) -> io::Result<UnixListener> = UnixListener::bind::<PathBuf>;
    let _: fn(&unet::SocketAddr) -> io::Result<UnixListener> = UnixListener::bind_addr;
    let _: fn(unet::UnixListener) -> UnixListener = UnixListener::from_std;
    let _: fn(&UnixListener) -> io::Result<(UnixStream, unet::SocketAddr)> = UnixListener::accept;
    let _: fn(&UnixListener) -> io::Result<unet::SocketAddr> = UnixListener::local_addr;
    let _: fn(&UnixListener) -> io::Result<Option<io::Error>> = UnixListener::take_error;
    let _: fn(UnixListener) -> unet::UnixListener = From::from;
    is_source::<UnixListener>();
    is_os_handle::<UnixListener>();
}

#[cfg(unix)]
#[test]
fn unix_stream_surface() {
    let _: fn(PathBuf) -> io::Result<UnixStream> = UnixStream::connect::<PathBuf>;
    let _: fn(&unet::SocketAddr) -> io::Result<UnixStream> = UnixStream::connect_addr;
    let _: fn(unet::UnixStream) -> UnixStream = UnixStream::from_std;
    let _: fn() -> io::Result<(UnixStream, UnixStream)> = UnixStream::pair;
    let _: fn(&UnixStream) -> io::Result<unet::SocketAddr> = UnixStream::local_addr;
    let _: fn(&UnixStream) -> io::Result<unet::SocketAddr> = UnixStream::peer_addr;
    let _: fn(&UnixStream) -> io::Result<Option<io::Error>> = UnixStream::take_error;
    let _: fn(&UnixStream, Shutdown) -> io::Result<()> = UnixStream::shutdown;
    let _: fn(&UnixStream, Try) -> io::Result<()> = UnixStream::try_io::<Try, ()>;
    let _: fn(UnixStream) -> unet::UnixStream = From::from;
    is_read::<UnixStream>();
    is_read::<&UnixStream>();
    is_write::<UnixStream>();
    is_write::<&UnixStream>();
    is_source::<UnixStream>();
    is_os_handle::<UnixStream>();
}

#[test]
fn send_and_sync() {
    util::assert_send_sync::<TcpListener>();
    util::assert_send_sync::<TcpStream>();
    util::assert_send_sync::<UdpSocket>();
    #[cfg(unix)]
    util::assert_send_sync::<UnixDatagram>();
    #[cfg(unix)]
    util::assert_send_sync::<UnixListener>();
    #[cfg(unix)]
    util::assert_send_sync::<UnixStream>();
    util::assert_send_sync::<TcpSocket>();
    util::assert_send_sync::<UdpSocketBuilder>();
    util::assert_send_sync::<TcpKeepalive>();
}

/// On epoll a source needs no backend state of its own, so each type is its std counterpart
/// plus one pointer: the record of the `Poll` it is registered with (which refuses a second
/// `Poll`, see tests/registration_multi_poll.rs).
#[cfg(ferrio_epoll)]
#[test]
fn std_size_plus_a_pointer_on_epoll() {
    use std::mem::size_of;
    fn plus_pointer<T>() -> usize {
        size_of::<(T, usize)>()
    }
    assert_eq!(size_of::<TcpListener>(), plus_pointer::<net::TcpListener>());
    assert_eq!(size_of::<TcpStream>(), plus_pointer::<net::TcpStream>());
    assert_eq!(size_of::<UdpSocket>(), plus_pointer::<net::UdpSocket>());
    assert_eq!(
        size_of::<UnixDatagram>(),
        plus_pointer::<unet::UnixDatagram>()
    );
    assert_eq!(
        size_of::<UnixListener>(),
        plus_pointer::<unet::UnixListener>()
    );
    assert_eq!(size_of::<UnixStream>(), plus_pointer::<unet::UnixStream>());
    // And an Option of one costs nothing extra (a niche of the fd or of the pointer).
    assert_eq!(size_of::<Option<TcpStream>>(), size_of::<TcpStream>());
}

/// The size test above must not silently vanish on Linux's default build.
#[cfg(all(
    target_os = "linux",
    not(ferrio_force_poll),
    not(mio_unsupported_force_poll_poll)
))]
#[test]
fn epoll_is_the_default_on_linux() {
    // If build.rs did not select epoll (or its cfg were not visible to tests), the size test
    // above would silently not run.
    let backend = if cfg!(ferrio_epoll) {
        "epoll"
    } else {
        "something else"
    };
    assert_eq!(backend, "epoll");
}
