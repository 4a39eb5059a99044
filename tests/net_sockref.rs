//! Interop with socket2: every ferrio socket type can be borrowed as a `socket2::SockRef`, so
//! options ferrio does not offer stay reachable, and what one side sets the other reads.
#![cfg(all(target_os = "linux", feature = "net", feature = "os-poll"))]
// Not under Miri: its network emulation reads back few socket options and has no UDP or AF_UNIX sockets.
#![cfg(not(miri))]

mod net_common;
mod util;

use std::time::Duration;

use ferrio::net::{
    TcpKeepalive, TcpListener, TcpSocket, UdpSocket, UdpSocketBuilder, UnixDatagram, UnixListener,
    UnixStream,
};
use ferrio::{Events, Poll};
use net_common::any_local;
use socket2::{Domain, SockRef, Type};

#[test]
fn tcp_listener() {
    let listener = TcpListener::bind(any_local()).unwrap();
    let sock = SockRef::from(&listener);
    assert_eq!(
        sock.local_addr().unwrap().as_socket(),
        Some(listener.local_addr().unwrap())
    );
    assert!(sock.is_listener().unwrap());
    assert!(
        sock.reuse_address().unwrap(),
        "TcpListener::bind sets SO_REUSEADDR"
    );
    sock.set_ttl(33).unwrap();
    assert_eq!(listener.ttl().unwrap(), 33);
}

#[test]
fn tcp_stream() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = net_common::tcp_pair(&mut poll, &mut events);
    for stream in [&client, &server] {
        let sock = SockRef::from(stream);
        assert_eq!(sock.r#type().unwrap(), Type::STREAM);
        assert!(sock.nonblocking().unwrap());
        // socket2 sets, ferrio reads ...
        sock.set_keepalive(true).unwrap();
        assert!(stream.keepalive().unwrap());
        sock.set_recv_buffer_size(64 * 1024).unwrap();
        assert_eq!(
            stream.recv_buffer_size().unwrap() as usize,
            sock.recv_buffer_size().unwrap()
        );
        // ... and the other way round.
        stream.set_linger(Some(Duration::from_secs(3))).unwrap();
        assert_eq!(sock.linger().unwrap(), Some(Duration::from_secs(3)));
        stream
            .set_tcp_keepalive(&TcpKeepalive::new().with_time(Duration::from_secs(45)))
            .unwrap();
        assert_eq!(sock.keepalive_time().unwrap(), Duration::from_secs(45));
        stream.set_tos_v4(0x20).unwrap();
        assert_eq!(sock.tos().unwrap(), 0x20);
        // An option ferrio does not have.
        sock.set_quickack(false).unwrap();
        assert!(!sock.quickack().unwrap());
    }
}

#[test]
fn udp_socket() {
    let socket = UdpSocket::bind(any_local()).unwrap();
    let sock = SockRef::from(&socket);
    assert_eq!(sock.r#type().unwrap(), Type::DGRAM);
    socket.set_send_buffer_size(48 * 1024).unwrap();
    assert_eq!(
        sock.send_buffer_size().unwrap(),
        socket.send_buffer_size().unwrap() as usize
    );
    sock.set_tos(0x28).unwrap();
    assert_eq!(socket.tos_v4().unwrap(), 0x28);

    let socket6 = UdpSocket::bind("[::1]:0".parse().unwrap()).unwrap();
    let sock6 = SockRef::from(&socket6);
    socket6.set_tclass_v6(0x30).unwrap();
    assert_eq!(sock6.tclass_v6().unwrap(), 0x30);
}

#[test]
fn tcp_socket() {
    let socket = TcpSocket::new_v6().unwrap();
    let sock = SockRef::from(&socket);
    assert_eq!(sock.domain().unwrap(), Domain::IPV6);
    assert_eq!(sock.r#type().unwrap(), Type::STREAM);
    assert!(sock.nonblocking().unwrap());
    sock.set_reuse_address(true).unwrap();
    assert!(socket.reuseaddr().unwrap());
    socket.set_reuseport(true).unwrap();
    assert!(sock.reuse_port().unwrap());
    socket.set_only_v6(true).unwrap();
    assert!(sock.only_v6().unwrap());
    socket.set_zero_linger().unwrap();
    assert_eq!(sock.linger().unwrap(), Some(Duration::ZERO));
    // Binding through socket2 is seen by ferrio.
    sock.bind(&"[::1]:0".parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    assert_eq!(
        Some(socket.local_addr().unwrap()),
        sock.local_addr().unwrap().as_socket()
    );
}

#[test]
fn udp_socket_builder() {
    let builder = UdpSocketBuilder::new_v4().unwrap();
    let sock = SockRef::from(&builder);
    assert_eq!(sock.domain().unwrap(), Domain::IPV4);
    assert_eq!(sock.r#type().unwrap(), Type::DGRAM);
    builder.set_reuseport(true).unwrap();
    assert!(sock.reuse_port().unwrap());
    sock.set_broadcast(true).unwrap();
    assert!(builder.broadcast().unwrap());
}

#[test]
fn unix_sockets() {
    let dir = net_common::temp_dir("sockref");
    let path = dir.join("l.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let sock = SockRef::from(&listener);
    assert_eq!(sock.domain().unwrap(), Domain::UNIX);
    assert!(sock.is_listener().unwrap());
    assert_eq!(
        sock.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );

    let (a, b) = UnixStream::pair().unwrap();
    for s in [&a, &b] {
        let sock = SockRef::from(s);
        assert_eq!(sock.r#type().unwrap(), Type::STREAM);
        assert!(sock.nonblocking().unwrap());
        sock.set_send_buffer_size(32 * 1024).unwrap();
        assert!(sock.send_buffer_size().unwrap() >= 32 * 1024);
    }

    let (c, d) = UnixDatagram::pair().unwrap();
    for s in [&c, &d] {
        let sock = SockRef::from(s);
        assert_eq!(sock.domain().unwrap(), Domain::UNIX);
        assert_eq!(sock.r#type().unwrap(), Type::DGRAM);
    }
    drop(listener);
    std::fs::remove_dir_all(&dir).unwrap();
}
