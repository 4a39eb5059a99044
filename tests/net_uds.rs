//! Unix-domain sockets: streams, listeners and datagrams over paths, abstract addresses and
//! socket pairs, and every method of `UnixListener`, `UnixStream` and `UnixDatagram`.
#![cfg(all(unix, feature = "net", feature = "os-poll"))]
// Not under Miri: it has no AF_UNIX sockets, and its socketpair has no send(2) or datagrams.
#![cfg(not(miri))]

mod net_common;
mod util;

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net::SocketAddr;

use ferrio::net::{UnixDatagram, UnixListener, UnixStream};
use ferrio::{Events, Interest, Poll, Token};
use net_common::{assert_nonblocking_cloexec, temp_dir, would_block};
use util::{expect_events, until_ready, Expect};

const LISTENER: Token = Token(0);
const A: Token = Token(1);
const B: Token = Token(2);

fn setup() -> (Poll, Events) {
    (Poll::new().unwrap(), Events::with_capacity(64))
}

/// Waits for and accepts one connection on a registered listener.
fn accept_one(
    poll: &mut Poll,
    events: &mut Events,
    listener: &UnixListener,
) -> (UnixStream, SocketAddr) {
    until_ready(poll, events, || listener.accept()).unwrap()
}

#[test]
fn path_listener_accept_connect_and_addresses() {
    let (mut poll, mut events) = setup();
    let dir = temp_dir("uds-path");
    let path = dir.join("s.sock");
    let mut listener = UnixListener::bind(&path).unwrap();
    assert_nonblocking_cloexec(&listener);
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert!(listener.take_error().unwrap().is_none());
    assert!(would_block(&listener.accept().unwrap_err()));
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut client = UnixStream::connect(&path).unwrap();
    assert_nonblocking_cloexec(&client);
    poll.registry()
        .register(&mut client, A, Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(A, Interest::WRITABLE)],
    );
    assert!(client.take_error().unwrap().is_none());
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert!(client.local_addr().unwrap().is_unnamed());

    let (server, peer) = accept_one(&mut poll, &mut events, &listener);
    assert_nonblocking_cloexec(&server);
    assert!(peer.is_unnamed());
    assert_eq!(
        server.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn listener_keeps_reporting_after_accept_would_block() {
    // mio #1998: accept bypassed the re-arm path, so on emulated-edge backends the listener
    // went silent after its first WouldBlock.
    let (mut poll, mut events) = setup();
    let dir = temp_dir("uds-rearm");
    let path = dir.join("s.sock");
    let mut listener = UnixListener::bind(&path).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let mut keep = Vec::new();
    for _ in 0..3 {
        keep.push(UnixStream::connect(&path).unwrap());
        expect_events(
            &mut poll,
            &mut events,
            &[Expect::new(LISTENER, Interest::READABLE)],
        );
        keep.push(listener.accept().unwrap().0);
        assert!(would_block(&listener.accept().unwrap_err()));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stream_io_shutdown_and_read_closed() {
    let (mut poll, mut events) = setup();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert_nonblocking_cloexec(&a);
    assert_nonblocking_cloexec(&b);
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    a.write_all(b"ab").unwrap();
    a.flush().unwrap();
    (&a).flush().unwrap();
    assert_eq!(
        (&a).write_vectored(&[IoSlice::new(b"cd"), IoSlice::new(b"ef")])
            .unwrap(),
        4
    );
    let mut got: Vec<u8> = Vec::new();
    while got.len() < 6 {
        let (mut x, mut y) = ([0; 2], [0; 8]);
        let n = until_ready(&mut poll, &mut events, || {
            b.read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
        })
        .unwrap();
        got.extend(x.iter().chain(y.iter()).take(n));
    }
    assert_eq!(got, b"abcdef");
    assert!(would_block(&(&b).read(&mut [0; 4]).unwrap_err()));

    // The other two vectored impls, after a reregister.
    poll.registry()
        .reregister(&mut b, B, Interest::READABLE)
        .unwrap();
    let n = a
        .write_vectored(&[IoSlice::new(b"g"), IoSlice::new(b"h")])
        .unwrap();
    assert_eq!(n, 2);
    let (mut x, mut y) = ([0; 1], [0; 1]);
    let n = until_ready(&mut poll, &mut events, || {
        (&b).read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
    })
    .unwrap();
    assert_eq!((n, x, y), (2, *b"g", *b"h"));

    a.shutdown(Shutdown::Write).unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(B, Interest::READABLE)],
    );
    assert!(
        seen.iter().any(|s| s.token == B && s.read_closed),
        "{seen:?}"
    );
    assert_eq!(b.read(&mut [0; 4]).unwrap(), 0);
    b.shutdown(Shutdown::Both).unwrap();
    a.shutdown(Shutdown::Read).unwrap();
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn abstract_addresses() {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;

    let (mut poll, mut events) = setup();
    let name = format!("ferrio-test-{}-abstract", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let mut listener = UnixListener::bind_addr(&addr).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let client = UnixStream::connect_addr(&addr).unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );
    let (server, peer) = accept_one(&mut poll, &mut events, &listener);
    assert!(peer.is_unnamed());
    assert_eq!(
        server.local_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );

    // A client bound to an abstract name of its own (socket2 can bind before connecting) is
    // reported under that name by accept and by peer_addr.
    let cname = format!("ferrio-test-{}-client", std::process::id());
    let bound = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
    // socket2 reads a leading NUL as "abstract".
    bound
        .bind(&socket2::SockAddr::unix(format!("\0{cname}")).unwrap())
        .unwrap();
    bound
        .connect(&socket2::SockAddr::unix(format!("\0{name}")).unwrap())
        .unwrap();
    let (server2, peer) = accept_one(&mut poll, &mut events, &listener);
    assert_eq!(peer.as_abstract_name(), Some(cname.as_bytes()));
    assert_eq!(
        server2.peer_addr().unwrap().as_abstract_name(),
        Some(cname.as_bytes())
    );

    let dname = format!("ferrio-test-{}-dgram", std::process::id());
    let daddr = SocketAddr::from_abstract_name(dname.as_bytes()).unwrap();
    let mut receiver = UnixDatagram::bind_addr(&daddr).unwrap();
    let sname = format!("ferrio-test-{}-sender", std::process::id());
    let sender =
        UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(sname.as_bytes()).unwrap())
            .unwrap();
    poll.registry()
        .register(&mut receiver, B, Interest::READABLE)
        .unwrap();
    // Sending to an abstract address goes through try_io + std (ferrio's send_to takes paths).
    let std_sender: std::os::unix::net::UnixDatagram = sender.into();
    std_sender.send_to_addr(b"abs", &daddr).unwrap();
    let mut buf = [0; 8];
    let (n, from) = until_ready(&mut poll, &mut events, || receiver.recv_from(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"abs");
    assert_eq!(from.as_abstract_name(), Some(sname.as_bytes()));
}

#[test]
fn datagram_paths_unbound_connect_and_empty_datagrams() {
    let (mut poll, mut events) = setup();
    let dir = temp_dir("uds-dgram");
    let (pa, pb) = (dir.join("a.sock"), dir.join("b.sock"));
    let mut a = UnixDatagram::bind(&pa).unwrap();
    let mut b = UnixDatagram::bind(&pb).unwrap();
    assert_nonblocking_cloexec(&a);
    assert_eq!(a.local_addr().unwrap().as_pathname(), Some(pa.as_path()));
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    // send_to / recv_from with paths.
    assert_eq!(a.send_to(b"to b", &pb).unwrap(), 4);
    let mut buf = [0; 16];
    let (n, from) = until_ready(&mut poll, &mut events, || b.recv_from(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"to b");
    assert_eq!(from.as_pathname(), Some(pa.as_path()));

    // An empty datagram is readable and reads as 0 bytes.
    assert_eq!(b.send_to(&[], &pa).unwrap(), 0);
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(A, Interest::READABLE)],
    );
    assert_eq!(a.recv(&mut buf).unwrap(), 0);
    assert!(would_block(&a.recv(&mut buf).unwrap_err()));

    // An unbound socket sends; its address is unnamed; connect then send/recv.
    let u = UnixDatagram::unbound().unwrap();
    assert_nonblocking_cloexec(&u);
    assert!(u.local_addr().unwrap().is_unnamed());
    u.connect(&pb).unwrap();
    assert_eq!(u.peer_addr().unwrap().as_pathname(), Some(pb.as_path()));
    assert_eq!(u.send(b"hi").unwrap(), 2);
    let (n, from) = until_ready(&mut poll, &mut events, || b.recv_from(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"hi");
    assert!(from.is_unnamed());
    assert!(u.take_error().unwrap().is_none());
    u.shutdown(Shutdown::Both).unwrap();
    assert!(u.send(b"x").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn datagram_pair_try_io_and_conversions() {
    let (mut poll, mut events) = setup();
    let (a, mut b) = UnixDatagram::pair().unwrap();
    assert_nonblocking_cloexec(&a);
    assert_nonblocking_cloexec(&b);
    assert!(format!("{a:?}").contains("UnixDatagram"));
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    let fd = b.as_raw_fd();
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
    assert!(would_block(&b.try_io(|| raw_recv(&mut buf)).unwrap_err()));
    a.send(b"pair").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(B, Interest::READABLE)],
    );
    assert_eq!(b.try_io(|| raw_recv(&mut buf)).unwrap(), 4);

    poll.registry()
        .reregister(&mut b, A, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut b).unwrap();
    let std_b: std::os::unix::net::UnixDatagram = b.into();
    let b = UnixDatagram::from_std(std_b);
    let fd: OwnedFd = b.into();
    let b = UnixDatagram::from(fd);
    let raw = b.into_raw_fd();
    // SAFETY: `raw` came from into_raw_fd and is owned by nobody else.
    let b = unsafe { UnixDatagram::from_raw_fd(raw) };
    assert_eq!(b.as_fd().as_raw_fd(), raw);
    a.send(b"still").unwrap();
    assert_eq!(b.recv(&mut buf).unwrap(), 5);
}

#[test]
fn stream_and_listener_conversions_and_try_io() {
    let (mut poll, mut events) = setup();
    let dir = temp_dir("uds-conv");
    let path = dir.join("s.sock");
    let listener = UnixListener::bind(&path).unwrap();
    assert!(format!("{listener:?}").contains("UnixListener"));
    let std_listener: std::os::unix::net::UnixListener = listener.into();
    let listener = UnixListener::from_std(std_listener);
    let fd: OwnedFd = listener.into();
    let listener = UnixListener::from(fd);
    let raw = listener.into_raw_fd();
    // SAFETY: `raw` came from into_raw_fd and is owned by nobody else.
    let mut listener = unsafe { UnixListener::from_raw_fd(raw) };
    assert_eq!(listener.as_fd().as_raw_fd(), raw);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let client = UnixStream::connect(&path).unwrap();
    let (server, _) = accept_one(&mut poll, &mut events, &listener);
    poll.registry().deregister(&mut listener).unwrap();
    assert!(format!("{client:?}").contains("UnixStream"));

    let std_client: std::os::unix::net::UnixStream = client.into();
    let client = UnixStream::from_std(std_client);
    let fd: OwnedFd = client.into();
    let client = UnixStream::from(fd);
    let raw = client.into_raw_fd();
    // SAFETY: `raw` was just released by `into_raw_fd`, so it is open and owned by nobody else.
    let mut client = unsafe { UnixStream::from_raw_fd(raw) };
    assert_eq!(client.as_raw_fd(), raw);

    let mut server = server;
    poll.registry()
        .register(&mut server, B, Interest::READABLE)
        .unwrap();
    let fd = client.as_raw_fd();
    let n = client
        .try_io(|| {
            // SAFETY: sends 2 bytes from a live buffer on an open socket.
            let n = unsafe { libc::send(fd, b"ok".as_ptr().cast(), 2, 0) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
        .unwrap();
    assert_eq!(n, 2);
    let mut buf = [0; 4];
    let n = until_ready(&mut poll, &mut events, || server.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"ok");
    client.write_all(b"!").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_keep_the_os_error() {
    let dir = temp_dir("uds-err");
    // Nothing listens at this path.
    let err = UnixStream::connect(dir.join("missing.sock")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    // Binding a path twice.
    let path = dir.join("twice.sock");
    let _first = UnixListener::bind(&path).unwrap();
    assert_eq!(
        UnixListener::bind(&path).unwrap_err().raw_os_error(),
        Some(libc::EADDRINUSE)
    );
    assert_eq!(
        UnixDatagram::bind(&path).unwrap_err().raw_os_error(),
        Some(libc::EADDRINUSE)
    );
    // A path that does not fit in sockaddr_un is rejected before any socket is made.
    let long = dir.join("x".repeat(200));
    assert_eq!(
        UnixListener::bind(&long).unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
