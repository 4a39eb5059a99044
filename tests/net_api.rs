//! The public surface of `ferrio::net`, named item by item with the signatures of the API
//! contract (mio 1.x), so that any drift fails to compile. Also: auto traits and sizes.
#![cfg(all(unix, feature = "net", feature = "os-poll"))]
#![allow(clippy::type_complexity)]

mod util;

use std::io::{self, Read, Write};
use std::net::{self, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net as unet;
use std::path::PathBuf;

use ferrio::event::Source;
use ferrio::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

type Try = fn() -> io::Result<()>;

fn is_read<T: Read>() {}
fn is_write<T: Write>() {}
fn is_source<T: Source>() {}
fn is_fd<
    T: AsRawFd + AsFd + IntoRawFd + FromRawFd + Into<OwnedFd> + From<OwnedFd> + std::fmt::Debug,
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
    is_fd::<TcpListener>();
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
    is_read::<TcpStream>();
    is_read::<&TcpStream>();
    is_write::<TcpStream>();
    is_write::<&TcpStream>();
    is_source::<TcpStream>();
    is_fd::<TcpStream>();
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
    is_source::<UdpSocket>();
    is_fd::<UdpSocket>();
}

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
    is_fd::<UnixDatagram>();
}

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
    is_fd::<UnixListener>();
}

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
    is_fd::<UnixStream>();
}

#[test]
fn send_and_sync() {
    util::assert_send_sync::<TcpListener>();
    util::assert_send_sync::<TcpStream>();
    util::assert_send_sync::<UdpSocket>();
    util::assert_send_sync::<UnixDatagram>();
    util::assert_send_sync::<UnixListener>();
    util::assert_send_sync::<UnixStream>();
}

/// On epoll a source needs no state of its own, so each type is exactly its std counterpart.
#[cfg(ferrio_epoll)]
#[test]
fn same_size_as_std_on_epoll() {
    use std::mem::size_of;
    assert_eq!(size_of::<TcpListener>(), size_of::<net::TcpListener>());
    assert_eq!(size_of::<TcpStream>(), size_of::<net::TcpStream>());
    assert_eq!(size_of::<UdpSocket>(), size_of::<net::UdpSocket>());
    assert_eq!(size_of::<UnixDatagram>(), size_of::<unet::UnixDatagram>());
    assert_eq!(size_of::<UnixListener>(), size_of::<unet::UnixListener>());
    assert_eq!(size_of::<UnixStream>(), size_of::<unet::UnixStream>());
    // And an Option of one costs nothing extra (the fd's niche).
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
