//! The socket and pipe cases: creation, options, accept and data transfer.

use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;

use ferrio::net::{
    TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};
use ferrio::Interest;

use super::{listener_with_client, local, read_exact, tcp_pair, Case, World, SUBJECT};
use crate::util::Expect;

// ------------------------------------------------------------------------------------------
// Creation and options
// ------------------------------------------------------------------------------------------

/// A failed constructor returns its error (its half-made socket closed: the fd count is
/// checked by the table); the same constructor then works.
fn listener_bind(case: &Case) {
    let mut world = World::new();
    case.arm();
    case.check(TcpListener::bind(local()));
    let (listener, _client) = listener_with_client(&mut world);
    listener.accept().unwrap();
    world.check();
}

fn stream_connect(case: &Case) {
    let mut world = World::new();
    let listener = TcpListener::bind(local()).unwrap();
    let addr = listener.local_addr().unwrap();
    case.arm();
    case.check(TcpStream::connect(addr));
    let _stream = TcpStream::connect(addr).unwrap();
    world.until_ready(|| listener.accept()).unwrap();
    world.check();
}

fn stream_bind_connect(case: &Case) {
    let mut world = World::new();
    let listener = TcpListener::bind(local()).unwrap();
    let addr = listener.local_addr().unwrap();
    case.arm();
    case.check(TcpStream::bind_connect(local(), addr));
    let _stream = TcpStream::bind_connect(local(), addr).unwrap();
    world.until_ready(|| listener.accept()).unwrap();
    world.check();
}

/// `IP_BIND_ADDRESS_NO_PORT` is only an optimisation: its failure is ignored and the bind
/// picks the port.
fn bind_connect_option_ignored(case: &Case) {
    let mut world = World::new();
    let listener = TcpListener::bind(local()).unwrap();
    case.arm();
    let _stream = TcpStream::bind_connect(local(), listener.local_addr().unwrap()).unwrap();
    case.fired();
    world.until_ready(|| listener.accept()).unwrap();
    world.check();
}

/// A builder whose option fails is still usable.
fn builder_option(case: &Case) {
    let mut world = World::new();
    let socket = TcpSocket::new_v4().unwrap();
    case.arm();
    case.check(socket.set_reuseaddr(true));
    socket.set_reuseaddr(true).unwrap();
    socket.bind(local()).unwrap();
    let listener = socket.listen(16).unwrap();
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    world.until_ready(|| listener.accept()).unwrap();
    world.check();
}

/// An option of a connected stream fails; the stream still carries data.
fn stream_option(case: &Case) {
    let mut world = World::new();
    let (mut stream, mut peer) = tcp_pair(&mut world, b"");
    case.arm();
    case.check(stream.set_nodelay(true));
    stream.write_all(b"o").unwrap();
    assert_eq!(read_exact(&mut world, &mut peer, 1), b"o");
    world.registry().deregister(&mut stream).unwrap();
    world.check();
}

fn stream_take_error(case: &Case) {
    let mut world = World::new();
    let (mut stream, _peer) = tcp_pair(&mut world, b"");
    case.arm();
    case.check(stream.take_error());
    assert!(stream.take_error().unwrap().is_none());
    world.registry().deregister(&mut stream).unwrap();
    world.check();
}

fn stream_shutdown(case: &Case) {
    let mut world = World::new();
    let (mut stream, mut peer) = tcp_pair(&mut world, b"");
    case.arm();
    case.check(stream.shutdown(Shutdown::Write));
    stream.shutdown(Shutdown::Write).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(world.until_ready(|| peer.read(&mut buf)).unwrap(), 0);
    world.registry().deregister(&mut stream).unwrap();
    world.check();
}

fn udp_bind(case: &Case) {
    let world = World::new();
    case.arm();
    case.check(UdpSocket::bind(local()));
    UdpSocket::bind(local()).unwrap();
    world.check();
}

fn unix_pair(case: &Case) {
    let mut world = World::new();
    case.arm();
    case.check(UnixStream::pair());
    let (mut a, mut b) = UnixStream::pair().unwrap();
    world
        .registry()
        .register(&mut a, SUBJECT, Interest::READABLE)
        .unwrap();
    b.write_all(b"u").unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    world.registry().deregister(&mut a).unwrap();
    world.check();
}

fn pipe_new(case: &Case) {
    let world = World::new();
    case.arm();
    case.check(ferrio::unix::pipe::new());
    ferrio::unix::pipe::new().unwrap();
    world.check();
}

fn pipe_set_nonblocking(case: &Case) {
    let mut world = World::new();
    let (mut sender, mut receiver) = ferrio::unix::pipe::new().unwrap();
    case.arm();
    case.check(receiver.set_nonblocking(true));
    receiver.set_nonblocking(true).unwrap();
    world
        .registry()
        .register(&mut receiver, SUBJECT, Interest::READABLE)
        .unwrap();
    sender.write_all(b"n").unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    world.registry().deregister(&mut receiver).unwrap();
    world.check();
}

/// A path in the temporary directory for a Unix listener of this process, removed first.
fn socket_path(tag: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("ferrio-faults-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// A Unix listener whose `listen` fails: the error comes back and the socket is closed. The
/// file its `bind` made stays, as with std and mio; it is removed before binding again.
fn unix_listener_bind(case: &Case) {
    let mut world = World::new();
    let path = socket_path("bind");
    case.arm();
    case.check(UnixListener::bind(&path));
    let _ = std::fs::remove_file(&path);
    let mut listener = UnixListener::bind(&path).unwrap();
    world
        .registry()
        .register(&mut listener, SUBJECT, Interest::READABLE)
        .unwrap();
    let _client = UnixStream::connect(&path).unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    listener.accept().unwrap();
    world.registry().deregister(&mut listener).unwrap();
    drop(listener);
    std::fs::remove_file(&path).unwrap();
    world.check();
}

/// accept on a Unix listener fails; the connection waits for the next call.
fn unix_accept(case: &Case) {
    let mut world = World::new();
    let path = socket_path("accept");
    let mut listener = UnixListener::bind(&path).unwrap();
    world
        .registry()
        .register(&mut listener, SUBJECT, Interest::READABLE)
        .unwrap();
    let _client = UnixStream::connect(&path).unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    case.arm();
    case.check(listener.accept());
    listener.accept().unwrap();
    world.registry().deregister(&mut listener).unwrap();
    drop(listener);
    std::fs::remove_file(&path).unwrap();
    world.check();
}

fn unix_datagram_pair(case: &Case) {
    let world = World::new();
    case.arm();
    case.check(UnixDatagram::pair());
    let (a, b) = UnixDatagram::pair().unwrap();
    b.send(b"d").unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(a.recv(&mut buf).unwrap(), 1);
    world.check();
}

fn udp_connect(case: &Case) {
    let mut world = World::new();
    let mut a = UdpSocket::bind(local()).unwrap();
    let b = UdpSocket::bind(local()).unwrap();
    case.arm();
    case.check(a.connect(b.local_addr().unwrap()));
    a.connect(b.local_addr().unwrap()).unwrap();
    world
        .registry()
        .register(&mut a, SUBJECT, Interest::WRITABLE)
        .unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::WRITABLE)]);
    a.send(b"c").unwrap();
    world.registry().deregister(&mut a).unwrap();
    world.check();
}

fn stream_peek(case: &Case) {
    let mut world = World::new();
    let (mut stream, _peer) = tcp_pair(&mut world, b"peek");
    let mut buf = [0u8; 16];
    case.arm();
    case.check(stream.peek(&mut buf));
    assert_eq!(stream.peek(&mut buf).unwrap(), 4);
    assert_eq!(read_exact(&mut world, &mut stream, 4), b"peek");
    world.registry().deregister(&mut stream).unwrap();
    world.check();
}

// ------------------------------------------------------------------------------------------
// accept
// ------------------------------------------------------------------------------------------

/// A failed accept returns its error and leaves the listener registered and usable: the
/// waiting connection is accepted by the next call.
fn accept_fails(case: &Case) {
    let mut world = World::new();
    let (mut listener, _client) = listener_with_client(&mut world);
    case.arm();
    case.check(listener.accept());
    listener.accept().unwrap();
    // And, once accept has returned `WouldBlock` (which every backend may require before
    // reporting again: poll(2) re-arms only then), a later connection is reported.
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
    let _second = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    listener.accept().unwrap();
    world.registry().deregister(&mut listener).unwrap();
    world.check();
}

// ------------------------------------------------------------------------------------------
// Data transfer
// ------------------------------------------------------------------------------------------

/// A failed read returns its error and consumes nothing: the next read gets the data.
fn stream_read_fails(case: &Case, vectored: bool) {
    let mut world = World::new();
    let (mut stream, _peer) = tcp_pair(&mut world, b"data");
    let mut buf = [0u8; 16];
    case.arm();
    if vectored {
        case.check(stream.read_vectored(&mut [IoSliceMut::new(&mut buf)]));
    } else {
        case.check(stream.read(&mut buf));
    }
    assert_eq!(read_exact(&mut world, &mut stream, 4), b"data");
    world.registry().deregister(&mut stream).unwrap();
    world.check();
}

fn stream_read(case: &Case) {
    stream_read_fails(case, false);
}

fn stream_read_vectored(case: &Case) {
    stream_read_fails(case, true);
}

/// A failed write returns its error and sends nothing: the next write's bytes arrive alone.
fn stream_write_fails(case: &Case, vectored: bool) {
    let mut world = World::new();
    let (mut stream, mut peer) = tcp_pair(&mut world, b"");
    case.arm();
    if vectored {
        case.check(stream.write_vectored(&[IoSlice::new(b"lost")]));
    } else {
        case.check(stream.write(b"lost"));
    }
    stream.write_all(b"kept").unwrap();
    assert_eq!(read_exact(&mut world, &mut peer, 4), b"kept");
    world.registry().deregister(&mut stream).unwrap();
    world.check();
}

fn stream_write(case: &Case) {
    stream_write_fails(case, false);
}

fn stream_write_vectored(case: &Case) {
    stream_write_fails(case, true);
}

fn udp_transfer(case: &Case) {
    let mut world = World::new();
    let mut a = UdpSocket::bind(local()).unwrap();
    let b = UdpSocket::bind(local()).unwrap();
    world
        .registry()
        .register(&mut a, SUBJECT, Interest::READABLE)
        .unwrap();
    let to = a.local_addr().unwrap();
    let mut buf = [0u8; 16];
    if case.point == "sendto" {
        case.arm();
        case.check(b.send_to(b"d", to));
    }
    b.send_to(b"d", to).unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    if case.point == "recvfrom" {
        case.arm();
        case.check(a.recv_from(&mut buf));
    }
    assert_eq!(a.recv_from(&mut buf).unwrap().0, 1);
    world.registry().deregister(&mut a).unwrap();
    world.check();
}

/// Pipe ends read and write through std's `File`: the operation-level failpoints.
fn pipe_transfer(case: &Case) {
    let mut world = World::new();
    let (mut sender, mut receiver) = ferrio::unix::pipe::new().unwrap();
    world
        .registry()
        .register(&mut receiver, SUBJECT, Interest::READABLE)
        .unwrap();
    if case.point == "write" {
        case.arm();
        case.check(sender.write(b"x"));
    }
    sender.write_all(b"x").unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    let mut buf = [0u8; 4];
    if case.point == "read" {
        case.arm();
        case.check(receiver.read(&mut buf));
    }
    assert_eq!(receiver.read(&mut buf).unwrap(), 1);
    world.registry().deregister(&mut receiver).unwrap();
    world.check();
}

/// The socket, option, accept and transfer cases.
#[rustfmt::skip]
pub const SOCKET_CASES: &[Case] = &[
    case!("TcpListener::bind, socket EMFILE", "socket", EMFILE, Both, listener_bind),
    case!("TcpListener::bind, socket ENFILE", "socket", ENFILE, Both, listener_bind),
    case!("TcpListener::bind, setsockopt ENOBUFS", "setsockopt", ENOBUFS, Both, listener_bind),
    case!("TcpListener::bind, bind EADDRINUSE", "bind", EADDRINUSE, Both, listener_bind),
    case!("TcpListener::bind, listen EADDRINUSE", "listen", EADDRINUSE, Both, listener_bind),
    case!("TcpStream::connect, socket EMFILE", "socket", EMFILE, Both, stream_connect),
    case!("TcpStream::connect, connect EINTR", "connect", EINTR, Both, stream_connect),
    case!("TcpStream::connect, connect ENETUNREACH", "connect", ENETUNREACH, Both, stream_connect),
    case!("bind_connect, bind EADDRNOTAVAIL", "bind", EADDRNOTAVAIL, Both, stream_bind_connect),
    case!("bind_connect, connect EAGAIN", "connect", EAGAIN, Both, stream_bind_connect),
    case!("bind_connect, setsockopt ENOPROTOOPT (ignored)", "setsockopt", ENOPROTOOPT, Both, bind_connect_option_ignored),
    case!("TcpSocket::set_reuseaddr, setsockopt EINVAL", "setsockopt", EINVAL, Both, builder_option),
    case!("TcpStream::set_nodelay, setsockopt ENOMEM", "setsockopt", ENOMEM, Both, stream_option),
    case!("TcpStream::take_error, getsockopt ENOBUFS", "getsockopt", ENOBUFS, Both, stream_take_error),
    case!("TcpStream::shutdown, shutdown ENOTCONN", "shutdown", ENOTCONN, Both, stream_shutdown),
    case!("UdpSocket::bind, socket EMFILE", "socket", EMFILE, Both, udp_bind),
    case!("UdpSocket::bind, bind EACCES", "bind", EACCES, Both, udp_bind),
    case!("UnixStream::pair, socketpair EMFILE", "socketpair", EMFILE, Both, unix_pair),
    case!("UnixDatagram::pair, socketpair ENFILE", "socketpair", ENFILE, Both, unix_datagram_pair),
    case!("UnixListener::bind, socket EMFILE", "socket", EMFILE, Both, unix_listener_bind),
    case!("UnixListener::bind, listen EADDRINUSE", "listen", EADDRINUSE, Both, unix_listener_bind),
    case!("UnixListener accept, accept4 EMFILE", "accept4", EMFILE, Both, unix_accept),
    case!("UdpSocket::connect, connect ENETUNREACH", "connect", ENETUNREACH, Both, udp_connect),
    case!("TcpStream peek, recv EINTR", "recv", EINTR, Both, stream_peek),
    case!("pipe::new, pipe2 EMFILE", "pipe2", EMFILE, Both, pipe_new),
    case!("pipe::new, pipe2 ENFILE", "pipe2", ENFILE, Both, pipe_new),
    case!("pipe set_nonblocking, fcntl EINVAL", "fcntl", EINVAL, Both, pipe_set_nonblocking),
    case!("accept, accept4 EMFILE", "accept4", EMFILE, Both, accept_fails),
    case!("accept, accept4 ENFILE", "accept4", ENFILE, Both, accept_fails),
    case!("accept, accept4 ECONNABORTED", "accept4", ECONNABORTED, Both, accept_fails),
    case!("accept, accept4 ENOBUFS", "accept4", ENOBUFS, Both, accept_fails),
    case!("accept, accept4 ENOMEM", "accept4", ENOMEM, Both, accept_fails),
    case!("accept, accept4 EINTR", "accept4", EINTR, Both, accept_fails),
    case!("accept, accept4 EPERM (firewall)", "accept4", EPERM, Both, accept_fails),
    case!("TcpStream read, recv EINTR", "recv", EINTR, Both, stream_read),
    case!("TcpStream read, recv ENOMEM", "recv", ENOMEM, Both, stream_read),
    case!("TcpStream read, read (operation) ECONNRESET", "read", ECONNRESET, Both, stream_read),
    case!("TcpStream read_vectored, recvmsg EINTR", "recvmsg", EINTR, Both, stream_read_vectored),
    case!("TcpStream write, send EINTR", "send", EINTR, Both, stream_write),
    case!("TcpStream write, send ENOBUFS", "send", ENOBUFS, Both, stream_write),
    case!("TcpStream write, write (operation) ENOMEM", "write", ENOMEM, Both, stream_write),
    case!("TcpStream write_vectored, sendmsg ENOBUFS", "sendmsg", ENOBUFS, Both, stream_write_vectored),
    case!("UdpSocket send_to, sendto ENOBUFS", "sendto", ENOBUFS, Both, udp_transfer),
    case!("UdpSocket recv_from, recvfrom EINTR", "recvfrom", EINTR, Both, udp_transfer),
    case!("pipe write, write EINTR", "write", EINTR, Both, pipe_transfer),
    case!("pipe read, read ENOMEM", "read", ENOMEM, Both, pipe_transfer),
];
