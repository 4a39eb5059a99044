//! UDP: empty datagrams, datagrams longer than the buffer, connected sockets, errors, options, and every method of
//! `UdpSocket`.
#![cfg(all(feature = "net", feature = "os-poll"))]
// WASI preview 1 cannot create sockets (as in mio): no `UdpSocket` there.
#![cfg(not(ferrio_wasi))]
// Not under Miri: it emulates TCP sockets only.
#![cfg(not(miri))]

mod net_common;
mod util;

#[cfg(unix)]
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};

use ferrio::net::UdpSocket;
use ferrio::{Events, Interest, Poll, Token};
#[cfg(unix)]
use net_common::assert_nonblocking_cloexec;
use net_common::{any_local, would_block};
use util::{expect_events, until_ready, Expect};

const A: Token = Token(1);
const B: Token = Token(2);

fn setup() -> (Poll, Events) {
    (Poll::new().unwrap(), Events::with_capacity(64))
}

#[test]
fn empty_datagram_is_readable_and_reads_zero() {
    let (mut poll, mut events) = setup();
    let sender = UdpSocket::bind(any_local()).unwrap();
    let mut receiver = UdpSocket::bind(any_local()).unwrap();
    poll.registry()
        .register(&mut receiver, B, Interest::READABLE)
        .unwrap();

    assert_eq!(
        sender.send_to(&[], receiver.local_addr().unwrap()).unwrap(),
        0
    );
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(B, Interest::READABLE)],
    );
    // (Retried on WouldBlock: under wasmtime 48 with the machine loaded, WASI preview 2 reported
    // the socket readable and the receive that followed still gave WouldBlock, in 3 of 60 runs;
    // `Poll` allows such spurious events. Elsewhere the first receive succeeds.)
    let (n, from) =
        until_ready(&mut poll, &mut events, || receiver.recv_from(&mut [0; 16])).unwrap();
    assert_eq!(n, 0);
    assert_eq!(from, sender.local_addr().unwrap());
    assert!(would_block(&receiver.recv_from(&mut [0; 16]).unwrap_err()));
}

/// What a receive gave, comparable across socket types: the length, or the OS error code.
fn outcome<T>(result: std::io::Result<T>, len: impl Fn(&T) -> usize) -> Result<usize, Option<i32>> {
    result.map(|v| len(&v)).map_err(|e| e.raw_os_error())
}

/// A datagram longer than the buffer: each receive method gives what std's `UdpSocket` gives
/// on this platform (the buffer's length on Unix, `Err(WSAEMSGSIZE)` on Windows), with the
/// datagram's first part in the buffer; `recv` and `recv_from` discard the rest, the peeks
/// leave the datagram queued.
#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "std's reference socket cannot take a read timeout on WASI (ENOPROTOOPT)"
)]
fn datagrams_longer_than_the_buffer_as_std() {
    let (mut poll, mut events) = setup();
    let sender = UdpSocket::bind(any_local()).unwrap();
    let mut receiver = UdpSocket::bind(any_local()).unwrap();
    receiver.connect(sender.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut receiver, B, Interest::READABLE)
        .unwrap();
    let reference = std::net::UdpSocket::bind(any_local()).unwrap();
    reference.connect(sender.local_addr().unwrap()).unwrap();
    reference.set_read_timeout(Some(util::TIMEOUT)).unwrap();
    let datagram: Vec<u8> = (0..100).collect();
    let expected = if cfg!(windows) {
        Err(Some(10040)) // WSAEMSGSIZE
    } else {
        Ok(10)
    };
    let at = |s: &UdpSocket| s.local_addr().unwrap();

    // peek_from, peek, recv_from on one datagram; recv on a second one.
    for round in 0..2 {
        sender.send_to(&datagram, at(&receiver)).unwrap();
        sender
            .send_to(&datagram, reference.local_addr().unwrap())
            .unwrap();
        let mut small = [0u8; 10];
        let mut std_small = [0u8; 10];
        if round == 0 {
            let got = until_ready(&mut poll, &mut events, || {
                match receiver.peek_from(&mut small) {
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(e),
                    other => Ok(outcome(other, |r| r.0)),
                }
            })
            .unwrap();
            assert_eq!(got, outcome(reference.peek_from(&mut std_small), |r| r.0));
            assert_eq!(got, expected, "peek_from");
            assert_eq!(small, std_small);
            assert_eq!(&small[..], &datagram[..10]);
            small = [0; 10];
            let got = outcome(receiver.peek(&mut small), |n| *n);
            assert_eq!(got, outcome(reference.peek(&mut std_small), |n| *n));
            assert_eq!(got, expected, "peek");
            assert_eq!(&small[..], &datagram[..10]);
            small = [0; 10];
            let got = outcome(receiver.recv_from(&mut small), |r| r.0);
            assert_eq!(got, outcome(reference.recv_from(&mut std_small), |r| r.0));
            assert_eq!(got, expected, "recv_from");
            assert_eq!(&small[..], &datagram[..10]);
        } else {
            let got = until_ready(&mut poll, &mut events, || match receiver.recv(&mut small) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(e),
                other => Ok(outcome(other, |n| *n)),
            })
            .unwrap();
            assert_eq!(got, outcome(reference.recv(&mut std_small), |n| *n));
            assert_eq!(got, expected, "recv");
            assert_eq!(&small[..], &datagram[..10]);
        }
        // The rest of the datagram is gone.
        assert!(would_block(&receiver.recv(&mut small).unwrap_err()));
    }
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc has no MSG_PEEK: peek_from is ENOTSUP"
)]
fn unconnected_send_to_recv_from_peek_from() {
    let (mut poll, mut events) = setup();
    let mut a = UdpSocket::bind(any_local()).unwrap();
    let mut b = UdpSocket::bind(any_local()).unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(A, Interest::WRITABLE)],
    );

    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    assert_eq!(a.send_to(b"first", b_addr).unwrap(), 5);
    assert_eq!(a.send_to(b"second", b_addr).unwrap(), 6);
    let mut buf = [0; 32];
    let (n, from) = until_ready(&mut poll, &mut events, || b.peek_from(&mut buf)).unwrap();
    assert_eq!((&buf[..n], from), (&b"first"[..], a_addr));
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"first"[..], a_addr));
    let (n, _) = b.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"second");
    assert!(would_block(&b.recv_from(&mut buf).unwrap_err()));
    assert!(would_block(&b.peek_from(&mut buf).unwrap_err()));

    // After the WouldBlock above, a new datagram gives a new event (on every backend).
    a.send_to(b"third", b_addr).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(B, Interest::READABLE)],
    );
    assert_eq!(b.recv_from(&mut buf).unwrap().0, 5);

    // Not connected: no peer.
    assert_eq!(
        a.peer_addr().unwrap_err().raw_os_error(),
        Some(net_common::errno::ENOTCONN)
    );
}

#[test]
fn connected_send_recv_peek() {
    let (mut poll, mut events) = setup();
    let a = UdpSocket::bind(any_local()).unwrap();
    let mut b = UdpSocket::bind(any_local()).unwrap();
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    assert_eq!(a.send(b"hello").unwrap(), 5);
    let mut buf = [0; 16];
    // wasi-libc's UDP sockets have no MSG_PEEK: `peek` is the OS's ENOTSUP there.
    if cfg!(target_os = "wasi") {
        let n = until_ready(&mut poll, &mut events, || b.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(
            b.peek(&mut buf).unwrap_err().kind(),
            std::io::ErrorKind::Unsupported
        );
        assert!(would_block(&b.recv(&mut buf).unwrap_err()));
        return;
    }
    let n = until_ready(&mut poll, &mut events, || b.peek(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(b.recv(&mut buf).unwrap(), 5);
    assert!(would_block(&b.recv(&mut buf).unwrap_err()));
    assert!(would_block(&b.peek(&mut buf).unwrap_err()));
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc has no SO_ERROR for UDP (ENOPROTOOPT)"
)]
fn send_to_a_closed_port_reports_the_error() {
    let (mut poll, mut events) = setup();
    let closed = UdpSocket::bind(any_local()).unwrap().local_addr().unwrap();
    let mut socket = UdpSocket::bind(any_local()).unwrap();
    socket.connect(closed).unwrap();
    poll.registry()
        .register(&mut socket, A, Interest::READABLE)
        .unwrap();
    socket.send(b"anyone?").unwrap();

    // The ICMP "port unreachable" arrives as an error event and a pending socket error.
    let deadline = std::time::Instant::now() + util::TIMEOUT;
    let err = loop {
        util::poll_retrying(&mut poll, &mut events, Some(util::QUIET));
        if let Some(err) = socket.take_error().unwrap() {
            break err;
        }
        assert!(std::time::Instant::now() < deadline, "no error reported");
    };
    assert_eq!(err.raw_os_error(), Some(net_common::errno::ECONNREFUSED));
    // Reading the error clears it. (Not checked on Windows: Wine 8 keeps SO_ERROR after it
    // is read, unlike Windows.)
    #[cfg(unix)]
    assert!(socket.take_error().unwrap().is_none());
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc has no SO_BROADCAST (ENOPROTOOPT)"
)]
fn options() {
    let socket = UdpSocket::bind(any_local()).unwrap();
    socket.set_broadcast(true).unwrap();
    assert!(socket.broadcast().unwrap());
    socket.set_broadcast(false).unwrap();
    assert!(!socket.broadcast().unwrap());

    socket.set_multicast_loop_v4(false).unwrap();
    assert!(!socket.multicast_loop_v4().unwrap());
    socket.set_multicast_loop_v4(true).unwrap();
    assert!(socket.multicast_loop_v4().unwrap());
    socket.set_multicast_ttl_v4(7).unwrap();
    assert_eq!(socket.multicast_ttl_v4().unwrap(), 7);

    socket.set_ttl(21).unwrap();
    assert_eq!(socket.ttl().unwrap(), 21);
    assert!(socket.take_error().unwrap().is_none());
    // IPV6_V6ONLY does not exist on an IPv4 socket.
    assert!(socket.only_v6().unwrap_err().raw_os_error().is_some());

    // Group membership depends on the host's interfaces; the call must at least reach the
    // kernel and either succeed or return its error.
    let group = Ipv4Addr::new(239, 255, 42, 99);
    match socket.join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED) {
        Ok(()) => socket
            .leave_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED)
            .unwrap(),
        Err(e) => {
            assert!(e.raw_os_error().is_some(), "{e}");
            let e = socket
                .leave_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED)
                .unwrap_err();
            assert!(e.raw_os_error().is_some(), "{e}");
        }
    }
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc has no IPV6_V6ONLY getter (ENOPROTOOPT)"
)]
fn ipv6_options_and_loopback_when_available() {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    let (mut a, b) = match (UdpSocket::bind(addr), UdpSocket::bind(addr)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            println!("skipping: no IPv6 loopback here ({e})");
            return;
        }
    };
    let (mut poll, mut events) = setup();
    // Readable on an IPv6 socket (its value depends on the host's bindv6only setting).
    a.only_v6().unwrap();
    a.set_multicast_loop_v6(false).unwrap();
    assert!(!a.multicast_loop_v6().unwrap());
    a.set_multicast_loop_v6(true).unwrap();
    assert!(a.multicast_loop_v6().unwrap());

    let group: Ipv6Addr = "ff02::1:ff42:4242".parse().unwrap();
    match a.join_multicast_v6(&group, 0) {
        Ok(()) => a.leave_multicast_v6(&group, 0).unwrap(),
        Err(e) => {
            assert!(e.raw_os_error().is_some(), "{e}");
            assert!(a
                .leave_multicast_v6(&group, 0)
                .unwrap_err()
                .raw_os_error()
                .is_some());
        }
    }

    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    b.send_to(b"v6", a.local_addr().unwrap()).unwrap();
    let mut buf = [0; 4];
    let (n, from) = until_ready(&mut poll, &mut events, || a.recv_from(&mut buf)).unwrap();
    assert_eq!((&buf[..n], from), (&b"v6"[..], b.local_addr().unwrap()));
}

#[cfg(unix)] // fds, libc calls
#[test]
fn try_io_and_conversions() {
    let (mut poll, mut events) = setup();
    let sender = UdpSocket::bind(any_local()).unwrap();
    let mut receiver = UdpSocket::bind(any_local()).unwrap();
    assert_nonblocking_cloexec(&receiver);
    assert!(format!("{receiver:?}").contains("UdpSocket"));
    poll.registry()
        .register(&mut receiver, B, Interest::READABLE)
        .unwrap();

    let fd = receiver.as_raw_fd();
    let raw_recv = |buf: &mut [u8]| -> io::Result<usize> {
        // SAFETY: receives into a live buffer of the given length from an open socket.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    };
    let mut buf = [0; 8];
    // A WouldBlock inside try_io arms the source; the datagram then produces an event.
    assert!(would_block(
        &receiver.try_io(|| raw_recv(&mut buf)).unwrap_err()
    ));
    sender
        .send_to(b"raw", receiver.local_addr().unwrap())
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(B, Interest::READABLE)],
    );
    assert_eq!(receiver.try_io(|| raw_recv(&mut buf)).unwrap(), 3);

    poll.registry()
        .reregister(&mut receiver, A, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut receiver).unwrap();

    let addr = receiver.local_addr().unwrap();
    let std_socket: std::net::UdpSocket = receiver.into();
    let socket = UdpSocket::from_std(std_socket);
    let fd: OwnedFd = socket.into();
    let socket = UdpSocket::from(fd);
    let raw = socket.into_raw_fd();
    // SAFETY: `raw` came from into_raw_fd and is owned by nobody else.
    let socket = unsafe { UdpSocket::from_raw_fd(raw) };
    assert_eq!(socket.as_fd().as_raw_fd(), raw);
    assert_eq!(socket.local_addr().unwrap(), addr);
}
