//! `ferrio::net` on Windows: the socket handle conversions at run time (their signatures are
//! in `api_windows.rs`), `TcpSocket` and the options Windows has,
//! and how sockets are created (non-blocking, no `SO_REUSEADDR` on listeners).
#![cfg(all(windows, feature = "net", feature = "os-poll"))]

mod util;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::windows::io::{
    AsRawSocket, AsSocket, FromRawSocket, IntoRawSocket, OwnedSocket, RawSocket,
};
use std::time::Duration;

use ferrio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use ferrio::{Events, Interest, Poll, Token};
use util::{expect_events, until_ready, Expect};

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn conversions_round_trip() {
    let listener = TcpListener::bind(local()).unwrap();
    let addr = listener.local_addr().unwrap();
    let raw: RawSocket = listener.as_raw_socket();
    assert_eq!(listener.as_socket().as_raw_socket(), raw);
    let owned: OwnedSocket = listener.into();
    let listener = TcpListener::from(owned);
    assert_eq!(listener.local_addr().unwrap(), addr);
    let raw = listener.into_raw_socket();
    // SAFETY: `raw` was just released by `into_raw_socket` and is handed back.
    let listener = unsafe { TcpListener::from_raw_socket(raw) };
    assert_eq!(listener.local_addr().unwrap(), addr);

    let udp = UdpSocket::bind(local()).unwrap();
    let addr = udp.local_addr().unwrap();
    let udp = UdpSocket::from(OwnedSocket::from(udp));
    assert_eq!(udp.local_addr().unwrap(), addr);
}

#[test]
fn new_sockets_are_nonblocking_and_listeners_do_not_reuse_addresses() {
    let listener = TcpListener::bind(local()).unwrap();
    let err = listener.accept().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(!socket2::SockRef::from(&listener).reuse_address().unwrap());

    let udp = UdpSocket::bind(local()).unwrap();
    let err = udp.recv_from(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
}

#[test]
fn tcp_socket_listen_connect_and_transfer() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);

    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(false).unwrap();
    assert!(!socket.reuseaddr().unwrap());
    socket.bind(local()).unwrap();
    let mut listener = socket.listen(16).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();

    let client = TcpSocket::new_for_addr(addr).unwrap();
    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    let mut client = client.connect(addr).unwrap();
    poll.registry()
        .register(&mut client, Token(1), Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(1), Interest::WRITABLE)],
    );
    assert!(client.take_error().unwrap().is_none());

    let (mut server, peer) = until_ready(&mut poll, &mut events, || listener.accept()).unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(client.peer_addr().unwrap(), addr);
    poll.registry()
        .register(&mut server, Token(2), Interest::READABLE)
        .unwrap();
    client.write_all(b"over winsock").unwrap();
    let mut buf = [0u8; 32];
    let n = until_ready(&mut poll, &mut events, || server.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"over winsock");
}

#[test]
fn options_windows_has() {
    let listener = TcpListener::bind(local()).unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    stream.set_ttl(42).unwrap();
    assert_eq!(stream.ttl().unwrap(), 42);
    stream.set_linger(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(stream.linger().unwrap(), Some(Duration::from_secs(3)));
    stream.set_linger(None).unwrap();
    assert_eq!(stream.linger().unwrap(), None);
    stream.set_keepalive(true).unwrap();
    assert!(stream.keepalive().unwrap());
    stream.set_recv_buffer_size(64 * 1024).unwrap();
    assert!(stream.recv_buffer_size().unwrap() >= 64 * 1024);
    stream.set_send_buffer_size(64 * 1024).unwrap();
    assert!(stream.send_buffer_size().unwrap() >= 64 * 1024);

    let udp = UdpSocket::bind(local()).unwrap();
    udp.set_broadcast(true).unwrap();
    assert!(udp.broadcast().unwrap());
    udp.set_multicast_ttl_v4(7).unwrap();
    assert_eq!(udp.multicast_ttl_v4().unwrap(), 7);
}

/// Per-socket keep-alive timing works with or without the `TCP_KEEP*` options (Windows 10 1709
/// and later have them; older systems and Wine 8 do not, and get `SIO_KEEPALIVE_VALS`).
#[test]
fn tcp_keepalive_with_or_without_the_tcp_keep_options() {
    use ferrio::net::TcpKeepalive;

    let socket = TcpSocket::new_v4().unwrap();
    socket.set_keepalive(false).unwrap();
    let timing = TcpKeepalive::new()
        .with_time(Duration::from_secs(31))
        .with_interval(Duration::from_millis(1500));
    socket.set_tcp_keepalive(&timing).unwrap();
    assert!(
        socket.keepalive().unwrap(),
        "set_tcp_keepalive turns keep-alive on"
    );
    let read = socket.tcp_keepalive().unwrap();
    let has_options = read.time().is_some();
    if has_options {
        // Whole seconds, rounded up.
        assert_eq!(read.time(), Some(Duration::from_secs(31)));
        assert_eq!(read.interval(), Some(Duration::from_secs(2)));
    } else {
        // SIO_KEEPALIVE_VALS cannot be read back.
        assert_eq!(read, TcpKeepalive::new());
    }

    let with_retries = timing.with_retries(4);
    match socket.set_tcp_keepalive(&with_retries) {
        Ok(()) => {
            assert!(has_options);
            assert_eq!(socket.tcp_keepalive().unwrap().retries(), Some(4));
        }
        Err(e) => {
            // Only TCP_KEEPCNT sets the probe count; without it nothing is changed.
            assert!(!has_options, "{e}");
            assert_eq!(e.kind(), io::ErrorKind::Unsupported);
        }
    }
}

/// A socket registered with one `Poll` and reregistered or deregistered through another's
/// registry gets `AlreadyExists`, as a named pipe does and as mio answers; once the first
/// `Poll` is gone, the socket counts as registered nowhere (`NotFound`).
#[test]
fn reregister_deregister_through_another_poll() {
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let mut udp = UdpSocket::bind(local()).unwrap();
    let listener = TcpListener::bind(local()).unwrap();
    let mut tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut udp, Token(0), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut tcp, Token(1), Interest::READABLE)
        .unwrap();
    for err in [
        other
            .registry()
            .reregister(&mut udp, Token(0), Interest::WRITABLE)
            .unwrap_err(),
        other.registry().deregister(&mut udp).unwrap_err(),
        other
            .registry()
            .reregister(&mut tcp, Token(1), Interest::WRITABLE)
            .unwrap_err(),
        other.registry().deregister(&mut tcp).unwrap_err(),
    ] {
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    }
    // Still registered with the first Poll.
    poll.registry()
        .reregister(&mut udp, Token(2), Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut udp).unwrap();
    let err = other.registry().deregister(&mut udp).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    drop(poll);
    let err = other.registry().deregister(&mut tcp).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
}
