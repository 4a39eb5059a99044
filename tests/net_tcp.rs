//! TCP: the connect protocol, closing and resetting, long transfers, peek, many connections,
//! IPv6, and every method of `TcpListener` and `TcpStream`.
#![cfg(all(feature = "net", feature = "os-poll"))]
// WASI preview 1 cannot create sockets (as in mio): the tests make their sockets with `bind` and `connect`.
#![cfg(not(ferrio_wasi))]

mod net_common;
mod util;

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::time::Instant;

use ferrio::net::{TcpListener, TcpStream};
use ferrio::{Events, Interest, Poll, Token};
#[cfg(unix)]
use net_common::assert_nonblocking_cloexec;
use net_common::{any_local, pattern, tcp_pair, would_block};
use util::{expect_events, poll_retrying, Expect, TIMEOUT};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

fn setup() -> (Poll, Events) {
    (Poll::new().unwrap(), Events::with_capacity(256))
}

#[test]
fn connect_protocol_writable_then_take_error_and_peer_addr() {
    let (mut poll, mut events) = setup();
    let listener = TcpListener::bind(any_local()).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::WRITABLE)
        .unwrap();

    let deadline = Instant::now() + TIMEOUT;
    loop {
        expect_events(
            &mut poll,
            &mut events,
            &[Expect::new(CLIENT, Interest::WRITABLE)],
        );
        assert!(stream.take_error().unwrap().is_none());
        match stream.peer_addr() {
            Ok(peer) => {
                assert_eq!(peer, addr);
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                assert!(Instant::now() < deadline, "never connected");
            }
            Err(e) => panic!("peer_addr: {e}"),
        }
    }
    assert_eq!(stream.local_addr().unwrap().ip(), addr.ip());
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri refuses any use of a socket after a failed connect"
)]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasmtime refuses a loopback connect in the connect call itself (ECONNREFUSED)"
)]
fn refused_connect_is_writable_with_error() {
    let (mut poll, mut events) = setup();
    // A port that was free a moment ago and has no listener now.
    let addr = TcpListener::bind(any_local())
        .unwrap()
        .local_addr()
        .unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
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
    let err = stream
        .take_error()
        .unwrap()
        .expect("take_error must report the refusal");
    assert_eq!(err.raw_os_error(), Some(net_common::errno::ECONNREFUSED));
    // The error is cleared by reading it. (Not checked on Windows: Wine 8 keeps SO_ERROR
    // after it is read, unlike Windows.)
    #[cfg(unix)]
    assert!(stream.take_error().unwrap().is_none());
    assert!(stream.peer_addr().is_err());
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc poll reports no hang-up for a peer FIN (no POLLRDHUP): only a read of 0 tells"
)]
fn peer_shutdown_write_gives_read_closed() {
    let (mut poll, mut events) = setup();
    let (client, mut server) = tcp_pair(&mut poll, &mut events);
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    client.shutdown(Shutdown::Write).unwrap();

    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(SERVER, Interest::READABLE)],
    );
    assert!(
        seen.iter().any(|s| s.token == SERVER && s.read_closed),
        "{seen:?}"
    );
    assert_eq!(server.read(&mut [0; 16]).unwrap(), 0);
    // The other direction still works.
    assert_eq!((&server).write(b"late").unwrap(), 4);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Wine 8 closes a zero-linger socket with FIN, not RST: the read returns Ok(0)"
)]
#[cfg_attr(miri, ignore = "Miri does not emulate SO_LINGER")]
// socket2 (for SO_LINGER) does not build for WASI.
#[cfg(not(target_os = "wasi"))]
fn zero_linger_reset_gives_error_on_read() {
    let (mut poll, mut events) = setup();
    let (client, mut server) = tcp_pair(&mut poll, &mut events);
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    socket2::SockRef::from(&client)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(client); // sends RST

    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(SERVER, Interest::READABLE)],
    );
    let err = server.read(&mut [0; 16]).unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(net_common::errno::ECONNRESET),
        "{err}"
    );
}

/// One side of the bidirectional transfer.
struct Side {
    stream: TcpStream,
    token: Token,
    seed: u64,
    sent: u64,
    received: u64,
    vectored: bool,
}

const TRANSFER: u64 = 8 << 20;

impl Side {
    /// Writes until done or `WouldBlock`.
    fn pump_out(&mut self) {
        let mut chunk = [0u8; 48 * 1024];
        while self.sent < TRANSFER {
            let len = (TRANSFER - self.sent).min(chunk.len() as u64) as usize;
            for (i, b) in chunk[..len].iter_mut().enumerate() {
                *b = pattern(self.seed, self.sent + i as u64);
            }
            let res = if self.vectored {
                let (a, b) = chunk[..len].split_at(len / 3);
                (&self.stream).write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
            } else {
                self.stream.write(&chunk[..len])
            };
            match res {
                Ok(n) => self.sent += n as u64,
                Err(e) if would_block(&e) => return,
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    /// Reads until `WouldBlock`, checking every byte against the peer's pattern.
    fn pump_in(&mut self, peer_seed: u64) {
        let mut a = [0u8; 20 * 1024];
        let mut b = [0u8; 44 * 1024];
        loop {
            let res = if self.vectored {
                (&self.stream)
                    .read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
            } else {
                self.stream.read(&mut a)
            };
            let n = match res {
                Ok(0) => panic!("unexpected end of stream after {} bytes", self.received),
                Ok(n) => n,
                Err(e) if would_block(&e) => return,
                Err(e) => panic!("read: {e}"),
            };
            for i in 0..n {
                let byte = if i < a.len() { a[i] } else { b[i - a.len()] };
                assert_eq!(
                    byte,
                    pattern(peer_seed, self.received + i as u64),
                    "corrupt at {}",
                    self.received + i as u64
                );
            }
            self.received += n as u64;
        }
    }

    fn done(&self) -> bool {
        self.sent == TRANSFER && self.received == TRANSFER
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri does not emulate sendmsg(2), which vectored writes use"
)]
fn multi_mib_transfer_both_directions_edge_triggered() {
    let (mut poll, mut events) = setup();
    let (client, server) = tcp_pair(&mut poll, &mut events);
    let mut sides = [
        Side {
            stream: client,
            token: CLIENT,
            seed: 1,
            sent: 0,
            received: 0,
            vectored: true,
        },
        Side {
            stream: server,
            token: SERVER,
            seed: 2,
            sent: 0,
            received: 0,
            vectored: false,
        },
    ];
    for side in sides.iter_mut() {
        let interests = Interest::READABLE | Interest::WRITABLE;
        poll.registry()
            .register(&mut side.stream, side.token, interests)
            .unwrap();
    }
    let deadline = Instant::now() + TIMEOUT * 6;
    while !sides.iter().all(Side::done) {
        assert!(
            Instant::now() < deadline,
            "transfer stalled: {}/{} {}/{}",
            sides[0].sent,
            sides[0].received,
            sides[1].sent,
            sides[1].received
        );
        poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        for event in events.iter() {
            let i = if event.token() == CLIENT { 0 } else { 1 };
            let peer_seed = sides[1 - i].seed;
            // Edge-triggered: drain both directions to WouldBlock on every event.
            sides[i].pump_out();
            sides[i].pump_in(peer_seed);
        }
    }
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc has no MSG_PEEK: peek is ENOTSUP"
)]
fn peek_does_not_consume_readiness() {
    let (mut poll, mut events) = setup();
    let (mut client, mut server) = tcp_pair(&mut poll, &mut events);
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();

    // A peek that finds nothing arms the source like a read would.
    assert!(would_block(&server.peek(&mut [0; 8]).unwrap_err()));
    client.write_all(b"hello").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(SERVER, Interest::READABLE)],
    );

    let mut buf = [0; 16];
    assert_eq!(server.peek(&mut buf).unwrap(), 5);
    assert_eq!(server.peek(&mut buf).unwrap(), 5);
    // The data is still there: peeking used up nothing.
    assert_eq!(server.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    assert!(would_block(&server.read(&mut buf).unwrap_err()));

    client.write_all(b"again").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(SERVER, Interest::READABLE)],
    );
    assert_eq!(server.peek(&mut buf).unwrap(), 5);
    assert_eq!(server.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"again");
}

#[cfg(unix)] // fds, libc calls
#[test]
fn accepted_and_connected_streams_are_nonblocking_and_cloexec() {
    let (mut poll, mut events) = setup();
    let listener = TcpListener::bind(any_local()).unwrap();
    assert_nonblocking_cloexec(&listener);
    let (client, server) = tcp_pair(&mut poll, &mut events);
    assert_nonblocking_cloexec(&client);
    assert_nonblocking_cloexec(&server);
    // Nothing to read: the accepted stream must not block.
    assert!(would_block(&(&server).read(&mut [0; 4]).unwrap_err()));
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc reports connecting sockets writable before wasmtime lets them write (EAGAIN): 200 of them spin past the deadline"
)]
fn two_hundred_connections_echo_through_one_poll() {
    const N: usize = 200;
    const MSG: usize = 100;
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    struct Client {
        stream: TcpStream,
        sent: bool,
        got: Vec<u8>,
    }
    let message = |i: usize| -> Vec<u8> { (0..MSG).map(|j| pattern(i as u64, j as u64)).collect() };
    let mut clients: Vec<Client> = (0..N)
        .map(|i| {
            let mut stream = TcpStream::connect(addr).unwrap();
            let interests = Interest::READABLE | Interest::WRITABLE;
            poll.registry()
                .register(&mut stream, Token(1000 + i), interests)
                .unwrap();
            Client {
                stream,
                sent: false,
                got: Vec::new(),
            }
        })
        .collect();
    // Server side: stream and bytes read but not yet echoed.
    let mut servers: Vec<(TcpStream, Vec<u8>)> = Vec::new();

    let deadline = Instant::now() + TIMEOUT * 3;
    let mut done = 0;
    while done < N {
        assert!(
            Instant::now() < deadline,
            "only {done} of {N} echoes completed"
        );
        poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        for event in events.iter() {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let token = Token(1 + servers.len());
                            let interests = Interest::READABLE | Interest::WRITABLE;
                            poll.registry()
                                .register(&mut stream, token, interests)
                                .unwrap();
                            servers.push((stream, Vec::new()));
                        }
                        Err(e) if would_block(&e) => break,
                        Err(e) => panic!("accept: {e}"),
                    }
                },
                Token(t) if t < 1000 => {
                    let (stream, pending) = &mut servers[t - 1];
                    let mut buf = [0; 512];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                            Err(e) if would_block(&e) => break,
                            Err(e) => panic!("server read: {e}"),
                        }
                    }
                    while !pending.is_empty() {
                        match stream.write(pending) {
                            Ok(n) => drop(pending.drain(..n)),
                            Err(e) if would_block(&e) => break,
                            Err(e) => panic!("server write: {e}"),
                        }
                    }
                }
                Token(t) => {
                    let i = t - 1000;
                    let client = &mut clients[i];
                    if !client.sent && event.is_writable() {
                        match client.stream.write(&message(i)) {
                            Ok(n) => {
                                assert_eq!(n, MSG);
                                client.sent = true;
                            }
                            Err(e)
                                if would_block(&e) || e.kind() == io::ErrorKind::NotConnected => {}
                            Err(e) => panic!("client write: {e}"),
                        }
                    }
                    let before = client.got.len();
                    let mut buf = [0; 512];
                    loop {
                        match client.stream.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => client.got.extend_from_slice(&buf[..n]),
                            Err(e) if would_block(&e) => break,
                            Err(e) if e.kind() == io::ErrorKind::NotConnected => break,
                            Err(e) => panic!("client read: {e}"),
                        }
                    }
                    if before < MSG && client.got.len() >= MSG {
                        assert_eq!(client.got, message(i), "client {i} got a wrong echo");
                        done += 1;
                    }
                }
            }
        }
    }
    assert_eq!(servers.len(), N);
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc aborts in getsockname while a connect is in progress (a race)"
)]
fn ipv6_loopback_when_available() {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    let mut listener = match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            println!("skipping: no IPv6 loopback here ({e})");
            return;
        }
    };
    let (mut poll, mut events) = setup();
    let local = listener.local_addr().unwrap();
    assert!(local.is_ipv6());
    let mut client = TcpStream::connect(local).unwrap();
    let mut server = net_common::accept(&mut poll, &mut events, &mut listener);
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());

    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    client.write_all(b"six").unwrap();
    let mut buf = [0; 3];
    let n = util::until_ready(&mut poll, &mut events, || server.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"six");
    // WASI preview 2 has no IP_TTL on IPv6 sockets: EAFNOSUPPORT, passed through.
    if cfg!(target_os = "wasi") {
        assert!(client.set_ttl(9).is_err());
        return;
    }
    client.set_ttl(9).unwrap();
    assert_eq!(client.ttl().unwrap(), 9);
}

#[cfg(unix)] // fds, libc calls
#[test]
fn listener_methods() {
    let (mut poll, mut events) = setup();
    let mut listener = TcpListener::bind(any_local()).unwrap();
    listener.set_ttl(42).unwrap();
    assert_eq!(listener.ttl().unwrap(), 42);
    assert!(listener.take_error().unwrap().is_none());
    assert!(would_block(&listener.accept().unwrap_err()));
    assert!(format!("{listener:?}").contains("TcpListener"));

    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(
            &mut listener,
            LISTENER,
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    poll.registry().deregister(&mut listener).unwrap();

    // Conversions: std, OwnedFd, RawFd, and back.
    let addr = listener.local_addr().unwrap();
    let std_listener: std::net::TcpListener = listener.into();
    let listener = TcpListener::from_std(std_listener);
    let fd: OwnedFd = listener.into();
    let listener = TcpListener::from(fd);
    let raw = listener.into_raw_fd();
    // SAFETY: `raw` came from into_raw_fd and is owned by nobody else.
    let mut listener = unsafe { TcpListener::from_raw_fd(raw) };
    assert_eq!(listener.as_raw_fd(), raw);
    assert_eq!(listener.as_fd().as_raw_fd(), raw);
    assert_eq!(listener.local_addr().unwrap(), addr);

    let _client = TcpStream::connect(addr).unwrap();
    let stream = net_common::accept(&mut poll, &mut events, &mut listener);
    assert_nonblocking_cloexec(&stream);
}

#[cfg(unix)] // fds, libc calls
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri does not emulate sendmsg(2), which vectored writes use"
)]
fn stream_methods() {
    let (mut poll, mut events) = setup();
    let (mut client, server) = tcp_pair(&mut poll, &mut events);

    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    client.set_nodelay(false).unwrap();
    assert!(!client.nodelay().unwrap());
    client.set_ttl(33).unwrap();
    assert_eq!(client.ttl().unwrap(), 33);
    assert!(client.take_error().unwrap().is_none());
    assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
    assert!(format!("{client:?}").contains("TcpStream"));

    // try_io: I/O done by the caller on the raw fd.
    let fd = client.as_raw_fd();
    let n = client
        .try_io(|| {
            // SAFETY: writes 3 bytes from a live buffer to an open socket.
            let n = unsafe { libc::send(fd, b"raw".as_ptr().cast(), 3, 0) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
        .unwrap();
    assert_eq!(n, 3);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let mut server = server;
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    let mut buf = [0; 8];
    let n = util::until_ready(&mut poll, &mut events, || (&server).read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"raw");

    // Write + vectored I/O through the owned and the shared impls.
    client.write_all(b"ab").unwrap();
    client.flush().unwrap();
    (&client).flush().unwrap();
    let n = client
        .write_vectored(&[IoSlice::new(b"cd"), IoSlice::new(b"ef")])
        .unwrap();
    assert_eq!(n, 4);
    let mut got: Vec<u8> = Vec::new();
    while got.len() < 6 {
        let mut a = [0; 3];
        let mut b = [0; 3];
        let n = util::until_ready(&mut poll, &mut events, || {
            server.read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
        })
        .unwrap();
        got.extend(a.iter().chain(b.iter()).take(n));
    }
    assert_eq!(got, b"abcdef");

    // Reading after the peer shuts down its read side: our reads are unaffected, and after
    // our own Shutdown::Read we read end-of-file.
    server.shutdown(Shutdown::Read).unwrap();
    client.shutdown(Shutdown::Read).unwrap();
    assert_eq!(client.read(&mut buf).unwrap(), 0);
    client.shutdown(Shutdown::Both).unwrap();

    // Conversions.
    let std_stream: std::net::TcpStream = client.into();
    let client = TcpStream::from_std(std_stream);
    let fd: OwnedFd = client.into();
    let client = TcpStream::from(fd);
    let raw = client.into_raw_fd();
    // SAFETY: `raw` came from into_raw_fd and is owned by nobody else.
    let client = unsafe { TcpStream::from_raw_fd(raw) };
    assert_eq!(client.as_fd().as_raw_fd(), raw);
    poll.registry().deregister(&mut server).unwrap();
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "a stream whose connect wasi-libc has not finished reads ENOTCONN, not EAGAIN"
)]
fn errors_keep_the_os_error() {
    // Binding an address in use: EADDRINUSE, untouched.
    let listener = TcpListener::bind(any_local()).unwrap();
    let err = TcpListener::bind(listener.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(net_common::errno::EADDRINUSE));
    // A read with nothing there: WouldBlock, with its OS error.
    let (mut poll, mut events) = setup();
    let (client, _server) = tcp_pair(&mut poll, &mut events);
    let err = (&client).read(&mut [0; 1]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(err.raw_os_error(), Some(net_common::errno::EAGAIN));
}
