//! Socket configuration beyond mio: `TcpSocket`, `TcpStream::bind_connect`,
//! `UdpSocketBuilder`, and the options on live streams and UDP sockets. Every option is read
//! back as the kernel reports it; binds really bind; failures leave no fd behind.
#![cfg(all(target_os = "linux", feature = "net", feature = "os-poll"))]
// Not under Miri: most of these socket options (SO_LINGER, SO_REUSEPORT, IPv6 levels, options before connect) and UDP sockets are beyond its network emulation.
#![cfg(not(miri))]

mod net_common;
mod util;

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use ferrio::net::{TcpKeepalive, TcpListener, TcpSocket, TcpStream, UdpSocket, UdpSocketBuilder};
use ferrio::{Events, Interest, Poll, Token};
use net_common::{accept, any_local, assert_nonblocking_cloexec, would_block};
use util::{expect_events, poll_retrying, until_ready, Expect, TIMEOUT};

const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

fn setup() -> (Poll, Events) {
    (Poll::new().unwrap(), Events::with_capacity(256))
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Follows the connect protocol until `stream` is connected (bounded).
#[track_caller]
fn wait_connected(poll: &mut Poll, events: &mut Events, stream: &mut TcpStream) {
    poll.registry()
        .register(stream, CLIENT, Interest::WRITABLE)
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        expect_events(poll, events, &[Expect::new(CLIENT, Interest::WRITABLE)]);
        assert!(stream.take_error().unwrap().is_none());
        match stream.peer_addr() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                assert!(Instant::now() < deadline, "never connected");
            }
            Err(e) => panic!("peer_addr: {e}"),
        }
    }
    poll.registry().deregister(stream).unwrap();
}

/// Reads an integer socket option with libc (independently of ferrio).
fn raw_int_opt(fd: &impl AsRawFd, level: libc::c_int, name: libc::c_int) -> libc::c_int {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live c_int and `len` its size.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    assert_eq!(r, 0, "getsockopt: {}", io::Error::last_os_error());
    value
}

#[track_caller]
fn assert_invalid_input_naming<T: std::fmt::Debug>(r: io::Result<T>, method: &str) {
    let e = r.expect_err(method);
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{method}: {e}");
    assert!(
        e.to_string().starts_with(&format!("{method}:")),
        "{method}: message does not name it: {e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Binding before connecting
// ---------------------------------------------------------------------------------------------

/// `bind_connect` from `ip` and a given (non-zero) port: one that was free a moment ago. Other
/// tests running in parallel may take that port in between (a listener without `bind` takes a
/// free port on every address), so a few ports are tried.
#[track_caller]
fn bind_connect_from_some_port(ip: Ipv4Addr, target: SocketAddr) -> (TcpStream, SocketAddr) {
    for _ in 0..20 {
        let probe = TcpSocket::new_v4().unwrap();
        probe.bind(SocketAddr::new(IpAddr::V4(ip), 0)).unwrap();
        let chosen = probe.local_addr().unwrap();
        drop(probe);
        match TcpStream::bind_connect(chosen, target) {
            Ok(stream) => return (stream, chosen),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => panic!("bind_connect from {chosen}: {e}"),
        }
    }
    panic!("no free port on {ip} after 20 tries");
}

#[test]
fn tcp_socket_bind_then_connect_leaves_from_the_chosen_address_and_port() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(any_local()).unwrap();

    let socket = TcpSocket::new_v4().unwrap();
    assert_nonblocking_cloexec(&socket);
    assert_eq!(socket.local_addr().unwrap(), addr("0.0.0.0:0"));
    socket.bind(addr("127.0.0.2:0")).unwrap();
    let local = socket.local_addr().unwrap();
    assert_eq!(local.ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    assert_ne!(local.port(), 0);

    let mut stream = socket.connect(listener.local_addr().unwrap()).unwrap();
    assert_nonblocking_cloexec(&stream);
    wait_connected(&mut poll, &mut events, &mut stream);
    let server = accept(&mut poll, &mut events, &mut listener);
    assert_eq!(server.peer_addr().unwrap(), local);
    assert_eq!(stream.local_addr().unwrap(), local);
}

#[test]
fn bind_connect_leaves_from_the_chosen_address_and_port() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let target = listener.local_addr().unwrap();

    // Any port on 127.0.0.3.
    let mut stream = TcpStream::bind_connect(addr("127.0.0.3:0"), target).unwrap();
    assert_nonblocking_cloexec(&stream);
    wait_connected(&mut poll, &mut events, &mut stream);
    let server = accept(&mut poll, &mut events, &mut listener);
    let local = stream.local_addr().unwrap();
    assert_eq!(local.ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)));
    assert_eq!(server.peer_addr().unwrap(), local);

    // A given port.
    let (mut stream, chosen) = bind_connect_from_some_port(Ipv4Addr::new(127, 0, 0, 4), target);
    wait_connected(&mut poll, &mut events, &mut stream);
    let server = accept(&mut poll, &mut events, &mut listener);
    assert_eq!(server.peer_addr().unwrap(), chosen);
}

#[test]
fn bind_connect_over_ipv6() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(addr("[::1]:0")).unwrap();
    let mut stream =
        TcpStream::bind_connect(addr("[::1]:0"), listener.local_addr().unwrap()).unwrap();
    // The port is left to connect on IPv6 too.
    assert_eq!(
        raw_int_opt(&stream, libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT),
        1
    );
    wait_connected(&mut poll, &mut events, &mut stream);
    let server = accept(&mut poll, &mut events, &mut listener);
    assert_eq!(server.peer_addr().unwrap(), stream.local_addr().unwrap());
}

#[test]
fn bind_connect_with_port_zero_sets_ip_bind_address_no_port() {
    let listener = TcpListener::bind(any_local()).unwrap();
    let target = listener.local_addr().unwrap();

    let stream = TcpStream::bind_connect(addr("127.0.0.1:0"), target).unwrap();
    assert_eq!(
        raw_int_opt(&stream, libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT),
        1
    );

    // With a port of its own the option stays off.
    let (stream, _) = bind_connect_from_some_port(Ipv4Addr::new(127, 0, 0, 5), target);
    assert_eq!(
        raw_int_opt(&stream, libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT),
        0
    );
}

#[test]
fn bind_connect_to_a_closed_port_fails_through_the_connect_protocol() {
    let (mut poll, mut events) = setup();
    let closed = TcpListener::bind(any_local())
        .unwrap()
        .local_addr()
        .unwrap();
    let mut stream = TcpStream::bind_connect(addr("127.0.0.1:0"), closed).unwrap();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(CLIENT, Interest::WRITABLE)],
    );
    assert!(
        seen.iter()
            .any(|s| s.token == CLIENT && s.writable && s.error),
        "{seen:?}"
    );
    let err = stream.take_error().unwrap().expect("refusal not reported");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    assert!(stream.take_error().unwrap().is_none());
}

#[test]
fn bind_connect_rejects_mixed_families() {
    let target = addr("[::1]:9");
    assert_invalid_input_naming(
        TcpStream::bind_connect(addr("127.0.0.1:0"), target),
        "bind_connect",
    );
}

// ---------------------------------------------------------------------------------------------
// Listening
// ---------------------------------------------------------------------------------------------

#[test]
fn tcp_socket_listen_with_a_backlog_accepts() {
    let (mut poll, mut events) = setup();
    let socket = TcpSocket::new_for_addr(any_local()).unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(any_local()).unwrap();
    // Far above any kernel limit: clamped, not an error.
    let mut listener = socket.listen(u32::MAX).unwrap();
    assert_nonblocking_cloexec(&listener);
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let server = accept(&mut poll, &mut events, &mut listener);
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());

    // An unbound socket listens on a free port.
    let listener = TcpSocket::new_v6().unwrap().listen(16).unwrap();
    assert_ne!(listener.local_addr().unwrap().port(), 0);
}

#[test]
fn reuseport_lets_two_listeners_share_a_port_and_both_accept() {
    let (mut poll, mut events) = setup();
    let first = TcpSocket::new_v4().unwrap();
    first.set_reuseport(true).unwrap();
    first.bind(any_local()).unwrap();
    let target = first.local_addr().unwrap();
    let second = TcpSocket::new_v4().unwrap();
    second.set_reuseport(true).unwrap();
    second.bind(target).unwrap();
    let mut listeners = [first.listen(64).unwrap(), second.listen(64).unwrap()];
    for (i, l) in listeners.iter_mut().enumerate() {
        poll.registry()
            .register(l, Token(10 + i), Interest::READABLE)
            .unwrap();
    }

    // The kernel spreads connections by a hash of the source port: keep connecting (one at a
    // time, each one waited for) until both listeners have accepted at least one.
    let mut counts = [0usize; 2];
    let mut clients = Vec::new();
    while counts.contains(&0) {
        assert!(
            clients.len() < 256,
            "one listener never accepted: {counts:?}"
        );
        clients.push(TcpStream::connect(target).unwrap());
        let deadline = Instant::now() + TIMEOUT;
        while counts.iter().sum::<usize>() < clients.len() {
            assert!(Instant::now() < deadline, "connection never accepted");
            poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(100)));
            for event in events.iter() {
                let i = event.token().0 - 10;
                loop {
                    match listeners[i].accept() {
                        Ok(_) => counts[i] += 1,
                        Err(e) if would_block(&e) => break,
                        Err(e) => panic!("accept: {e}"),
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Linger
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn expect_reset(poll: &mut Poll, events: &mut Events, stream: &mut TcpStream) {
    poll.registry()
        .register(stream, SERVER, Interest::READABLE)
        .unwrap();
    let err = until_ready(poll, events, || stream.read(&mut [0; 16])).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
}

#[test]
fn zero_linger_on_a_stream_resets_the_peer() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    wait_connected(&mut poll, &mut events, &mut client);
    let server = accept(&mut poll, &mut events, &mut listener);
    server.set_zero_linger().unwrap();
    assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
    drop(server);
    expect_reset(&mut poll, &mut events, &mut client);
}

#[test]
fn zero_linger_set_before_connecting_carries_over() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_zero_linger().unwrap();
    let mut client = socket.connect(listener.local_addr().unwrap()).unwrap();
    wait_connected(&mut poll, &mut events, &mut client);
    let mut server = accept(&mut poll, &mut events, &mut listener);
    assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
    drop(client);
    expect_reset(&mut poll, &mut events, &mut server);
}

// ---------------------------------------------------------------------------------------------
// Options read back
// ---------------------------------------------------------------------------------------------

const BUF: u32 = 32 * 1024;
const EF: u32 = 46 << 2; // DSCP "expedited forwarding"; the two low bits are ECN

#[test]
fn tcp_socket_options_read_back() {
    let s = TcpSocket::new_v4().unwrap();
    for on in [true, false] {
        s.set_reuseaddr(on).unwrap();
        assert_eq!(s.reuseaddr().unwrap(), on);
        s.set_reuseport(on).unwrap();
        assert_eq!(s.reuseport().unwrap(), on);
        s.set_nodelay(on).unwrap();
        assert_eq!(s.nodelay().unwrap(), on);
        s.set_keepalive(on).unwrap();
        assert_eq!(s.keepalive().unwrap(), on);
    }
    s.set_ttl(17).unwrap();
    assert_eq!(s.ttl().unwrap(), 17);
    s.set_tos_v4(EF | 1).unwrap();
    assert_eq!(s.tos_v4().unwrap() & 0xfc, EF);
    s.set_tos(0x20).unwrap();
    assert_eq!(s.tos().unwrap() & 0xfc, 0x20);
    assert_eq!(s.take_error().unwrap().map(|e| e.kind()), None);
    check_tcp_options(&s);
    check_buffers(&s);

    #[cfg(target_os = "linux")]
    match s.bind_device(Some(b"lo")) {
        Ok(()) => {
            assert_eq!(s.device().unwrap().as_deref(), Some(&b"lo"[..]));
            s.bind_device(None).unwrap();
            assert_eq!(s.device().unwrap(), None);
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            eprintln!("bind_device not permitted here; skipped");
        }
        Err(e) => panic!("bind_device: {e}"),
    }

    let s6 = TcpSocket::new_v6().unwrap();
    for on in [true, false] {
        s6.set_only_v6(on).unwrap();
        assert_eq!(s6.only_v6().unwrap(), on);
    }
    s6.set_tclass_v6(EF | 1).unwrap();
    assert_eq!(s6.tclass_v6().unwrap() & 0xfc, EF);
}

/// Linger and keep-alive, on a `TcpSocket` or a `TcpStream` (the same macro-made methods).
macro_rules! tcp_option_checks {
    ($s:expr) => {{
        let s = $s;
        assert_eq!(s.linger().unwrap(), None);
        s.set_linger(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(5)));
        // Fractions round up to whole seconds: never down to zero (a reset).
        s.set_linger(Some(Duration::from_millis(1))).unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(1)));
        s.set_linger(Some(Duration::from_millis(1500))).unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(2)));
        s.set_linger(None).unwrap();
        assert_eq!(s.linger().unwrap(), None);

        s.set_keepalive(false).unwrap();
        let params = TcpKeepalive::new()
            .with_time(Duration::from_secs(31))
            .with_interval(Duration::from_secs(7))
            .with_retries(4);
        s.set_tcp_keepalive(&params).unwrap();
        assert!(
            s.keepalive().unwrap(),
            "set_tcp_keepalive turns keep-alive on"
        );
        assert_eq!(s.tcp_keepalive().unwrap(), params);
        // Only the given parameters change.
        s.set_tcp_keepalive(&TcpKeepalive::new().with_time(Duration::from_millis(9_200)))
            .unwrap();
        assert_eq!(
            s.tcp_keepalive().unwrap(),
            params.with_time(Duration::from_secs(10))
        );
        // Values the kernel refuses keep its error.
        let e = s
            .set_tcp_keepalive(&TcpKeepalive::new().with_time(Duration::ZERO))
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    }};
}

macro_rules! buffer_checks {
    ($s:expr) => {{
        let s = $s;
        s.set_recv_buffer_size(BUF).unwrap();
        s.set_send_buffer_size(BUF).unwrap();
        // Linux doubles the request for its bookkeeping.
        assert_eq!(s.recv_buffer_size().unwrap(), 2 * BUF);
        assert_eq!(s.send_buffer_size().unwrap(), 2 * BUF);
    }};
}

fn check_tcp_options(s: &TcpSocket) {
    tcp_option_checks!(s);
}

fn check_buffers(s: &TcpSocket) {
    buffer_checks!(s);
}

#[test]
fn tcp_stream_options_read_back() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    wait_connected(&mut poll, &mut events, &mut client);
    let server = accept(&mut poll, &mut events, &mut listener);
    for s in [&client, &server] {
        tcp_option_checks!(s);
        buffer_checks!(s);
        s.set_tos_v4(EF | 1).unwrap();
        assert_eq!(s.tos_v4().unwrap() & 0xfc, EF);
        assert_eq!(s.tos().unwrap() & 0xfc, EF);
    }
    // Options on a live connection keep it working.
    (&client).write_all(b"ok").unwrap();
    let mut server = server;
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    let mut buf = [0; 4];
    let n = until_ready(&mut poll, &mut events, || server.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"ok");
}

#[test]
fn tcp_stream_ipv6_traffic_class() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(addr("[::1]:0")).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let server = accept(&mut poll, &mut events, &mut listener);
    for s in [&client, &server] {
        s.set_tclass_v6(EF).unwrap();
        assert_eq!(s.tclass_v6().unwrap() & 0xfc, EF);
    }
}

#[test]
fn udp_socket_options_read_back() {
    let s = UdpSocket::bind(any_local()).unwrap();
    buffer_checks!(&s);
    // UDP keeps the ECN bits.
    s.set_tos_v4(EF | 1).unwrap();
    assert_eq!(s.tos_v4().unwrap(), EF | 1);
    s.set_tos(EF).unwrap();
    assert_eq!(s.tos().unwrap(), EF);

    let s6 = UdpSocket::bind(addr("[::1]:0")).unwrap();
    s6.set_tclass_v6(EF | 2).unwrap();
    assert_eq!(s6.tclass_v6().unwrap(), EF | 2);
}

#[test]
fn udp_socket_builder_options_read_back_and_bind() {
    let (mut poll, mut events) = setup();
    let b = UdpSocketBuilder::new_v4().unwrap();
    assert_nonblocking_cloexec(&b);
    for on in [true, false] {
        b.set_reuseaddr(on).unwrap();
        assert_eq!(b.reuseaddr().unwrap(), on);
        b.set_reuseport(on).unwrap();
        assert_eq!(b.reuseport().unwrap(), on);
        b.set_broadcast(on).unwrap();
        assert_eq!(b.broadcast().unwrap(), on);
    }
    buffer_checks!(&b);
    b.set_tos_v4(EF).unwrap();
    assert_eq!(b.tos_v4().unwrap(), EF);
    b.set_broadcast(true).unwrap();
    assert_eq!(b.local_addr().unwrap(), addr("0.0.0.0:0"));

    // The options survive the bind.
    let mut socket = b.bind(any_local()).unwrap();
    assert_nonblocking_cloexec(&socket);
    assert!(socket.broadcast().unwrap());
    assert_eq!(socket.recv_buffer_size().unwrap(), 2 * BUF);
    assert_eq!(socket.tos_v4().unwrap(), EF);

    // And the socket works.
    poll.registry()
        .register(&mut socket, SERVER, Interest::READABLE)
        .unwrap();
    let sender = UdpSocket::bind(any_local()).unwrap();
    sender.send_to(b"hi", socket.local_addr().unwrap()).unwrap();
    let mut buf = [0; 8];
    let (n, from) = until_ready(&mut poll, &mut events, || socket.recv_from(&mut buf)).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"hi"[..], sender.local_addr().unwrap())
    );

    let b6 = UdpSocketBuilder::new_for_addr(addr("[::1]:0")).unwrap();
    b6.set_only_v6(true).unwrap();
    assert!(b6.only_v6().unwrap());
    b6.set_tclass_v6(EF).unwrap();
    assert_eq!(b6.tclass_v6().unwrap(), EF);
    let s6 = b6.bind(addr("[::]:0")).unwrap();
    assert!(s6.only_v6().unwrap());
}

#[test]
fn udp_reuseport_lets_two_receivers_share_a_port() {
    let first = UdpSocketBuilder::new_v4().unwrap();
    first.set_reuseport(true).unwrap();
    let first = first.bind(any_local()).unwrap();
    let second = UdpSocketBuilder::new_v4().unwrap();
    second.set_reuseport(true).unwrap();
    let second = second.bind(first.local_addr().unwrap()).unwrap();
    assert_eq!(first.local_addr().unwrap(), second.local_addr().unwrap());

    // Without the option, the port is taken.
    let third = UdpSocketBuilder::new_v4().unwrap();
    let e = third.bind(first.local_addr().unwrap()).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn options_of_the_other_family_name_the_method() {
    let v4 = TcpSocket::new_v4().unwrap();
    assert_invalid_input_naming(v4.set_tclass_v6(EF), "set_tclass_v6");
    assert_invalid_input_naming(v4.tclass_v6(), "tclass_v6");
    assert_invalid_input_naming(v4.set_only_v6(true), "set_only_v6");
    assert_invalid_input_naming(v4.only_v6(), "only_v6");

    let udp = UdpSocket::bind(any_local()).unwrap();
    assert_invalid_input_naming(udp.set_tclass_v6(EF), "set_tclass_v6");
    // mio's `only_v6` keeps its plain OS error.
    assert!(udp.only_v6().unwrap_err().raw_os_error().is_some());

    let builder = UdpSocketBuilder::new_v4().unwrap();
    assert_invalid_input_naming(builder.set_only_v6(false), "set_only_v6");
    assert_invalid_input_naming(builder.tclass_v6(), "tclass_v6");

    let listener = TcpListener::bind(any_local()).unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert_invalid_input_naming(stream.set_tclass_v6(EF), "set_tclass_v6");

    // Linux applies IP_TOS to the IPv4 side of an IPv6 socket: no error there.
    let v6 = TcpSocket::new_v6().unwrap();
    v6.set_tos_v4(EF).unwrap();
}

#[test]
fn failed_binds_and_connects_leave_no_fd() {
    if !util::in_child() {
        return util::run_in_child("failed_binds_and_connects_leave_no_fd");
    }
    let listener = TcpListener::bind(any_local()).unwrap();
    let taken = listener.local_addr().unwrap();
    let udp = UdpSocket::bind(any_local()).unwrap();
    let udp_taken = udp.local_addr().unwrap();
    let before = util::open_fds();
    for _ in 0..200 {
        let s = TcpSocket::new_v4().unwrap();
        assert_eq!(s.bind(taken).unwrap_err().kind(), io::ErrorKind::AddrInUse);
        drop(s);
        let e = TcpStream::bind_connect(taken, addr("127.0.0.1:9")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        // Not an address of this host.
        let e = TcpStream::bind_connect(addr("192.0.2.77:0"), taken).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(TcpStream::bind_connect(addr("127.0.0.1:0"), addr("[::1]:9")).is_err());
        let e = UdpSocketBuilder::new_v4()
            .unwrap()
            .bind(udp_taken)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        // A connect the kernel refuses at once (wrong family) closes the socket.
        assert!(TcpSocket::new_v4()
            .unwrap()
            .connect(addr("[::1]:9"))
            .is_err());
        // A failed bind leaves the socket usable, and closed on drop.
        let s = TcpSocket::new_v4().unwrap();
        assert!(s.bind(taken).is_err());
        s.bind(any_local()).unwrap();
        drop(s.listen(8).unwrap());
    }
    assert_eq!(util::open_fds(), before, "fds leaked on error paths");
}

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

#[test]
fn tcp_socket_fd_conversions() {
    use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};

    let s = TcpSocket::new_v4().unwrap();
    s.set_nodelay(true).unwrap();
    let raw = s.as_fd().as_raw_fd();
    let fd: OwnedFd = s.into();
    assert_eq!(fd.as_raw_fd(), raw);
    let s = TcpSocket::from(fd);
    assert!(s.nodelay().unwrap());
    let raw = s.into_raw_fd();
    // SAFETY: `raw` was just released by `into_raw_fd` and is owned by nobody else.
    let s = unsafe { TcpSocket::from_raw_fd(raw) };
    assert!(s.nodelay().unwrap());
    assert!(format!("{s:?}").contains("TcpSocket"));

    let std_stream = std::net::TcpStream::from(OwnedFd::from(s));
    let s = TcpSocket::from_std_stream(std_stream);
    assert!(s.nodelay().unwrap());

    let b = UdpSocketBuilder::new_v6().unwrap();
    let raw = b.into_raw_fd();
    // SAFETY: `raw` was just released by `into_raw_fd`, so it is open and owned by nobody else.
    let b = unsafe { UdpSocketBuilder::from_raw_fd(raw) };
    assert_eq!(b.local_addr().unwrap(), addr("[::]:0"));
    assert!(format!("{b:?}").contains("UdpSocketBuilder"));
}

/// An option value too large for the kernel's C `int` is clamped, never wrapped: on Linux a
/// wrapped `u32::MAX` is `-1`, which `IP_TTL` reads as "reset to the default" and would have
/// succeeded silently. Clamped, the kernel refuses it and the TTL stays as it was.
#[cfg(target_os = "linux")]
#[test]
fn out_of_range_option_values_are_clamped_not_wrapped() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_ttl(42).unwrap();
    let err = socket.set_ttl(u32::MAX).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    assert_eq!(socket.ttl().unwrap(), 42);

    let udp = UdpSocket::bind(addr("127.0.0.1:0")).unwrap();
    udp.set_multicast_ttl_v4(7).unwrap();
    let err = udp.set_multicast_ttl_v4(u32::MAX).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    assert_eq!(udp.multicast_ttl_v4().unwrap(), 7);

    // Sizes are requests the kernel caps: clamped, they succeed.
    socket.set_recv_buffer_size(u32::MAX).unwrap();
    assert!(socket.recv_buffer_size().unwrap() > 0);
}
