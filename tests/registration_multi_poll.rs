//! A source of this crate belongs to one `Poll` at a time, on every backend and in every build:
//! registering it with a second `Poll`, or reregistering or deregistering it through another
//! `Poll`'s registry, gives `AlreadyExists` and leaves the first registration as it was. (epoll
//! and kqueue themselves would accept the second registration, and both pollers would then
//! report the source.)
#![cfg(feature = "net")]
// WASI preview 1 cannot create sockets (as in mio): the tests make their sockets with `bind` and `connect`.
#![cfg(not(ferrio_wasi))]

mod util;

use std::io::{self, Read, Write};
use std::net::{self, SocketAddr};

use ferrio::event::Source;
use ferrio::net::{TcpListener, TcpStream, UdpSocket};
use ferrio::{Events, Interest, Poll, Token};

use util::{expect_events, expect_no_events, Expect};

const ALL: [(Token, Interest); 3] = [
    (Token(0), Interest::READABLE),
    (Token(1), Interest::WRITABLE),
    (Token(2), Interest::READABLE.add(Interest::WRITABLE)),
];

#[track_caller]
fn assert_elsewhere(result: io::Result<()>) {
    let err = result.expect_err("a source registered with another Poll was accepted");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    assert!(
        err.to_string()
            .contains("already registered with another Poll"),
        "{err:?}"
    );
}

/// Every way of using `source` through `other` while it is registered with a different,
/// live `Poll` is refused.
#[track_caller]
fn assert_refused_by<S: Source + ?Sized>(other: &Poll, source: &mut S) {
    for (token, interests) in ALL {
        assert_elsewhere(other.registry().register(source, token, interests));
        assert_elsewhere(other.registry().reregister(source, token, interests));
    }
    assert_elsewhere(other.registry().deregister(source));
    // Through a clone of the other registry too.
    let clone = other.registry().try_clone().unwrap();
    assert_elsewhere(clone.register(source, Token(3), Interest::READABLE));
    assert_elsewhere(clone.deregister(source));
}

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn tcp_register_multiple_event_loops() {
    let mut first = Poll::new().unwrap();
    let mut second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);

    let mut listener = TcpListener::bind(local()).unwrap();
    let addr = listener.local_addr().unwrap();
    first
        .registry()
        .register(&mut listener, Token(10), Interest::READABLE)
        .unwrap();
    assert_refused_by(&second, &mut listener);

    // Only the first Poll reports the listener, under its token.
    let client = net::TcpStream::connect(addr).unwrap();
    expect_events(
        &mut first,
        &mut events,
        &[Expect::new(Token(10), Interest::READABLE)],
    );
    expect_no_events(&mut second, &mut events, &ALL.map(|(t, _)| t));

    // A stream likewise.
    let (mut stream, _) = listener.accept().unwrap();
    first
        .registry()
        .register(
            &mut stream,
            Token(11),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    assert_refused_by(&second, &mut stream);
    (&client).write_all(b"x").unwrap();
    expect_events(
        &mut first,
        &mut events,
        &[Expect::new(Token(11), Interest::READABLE)],
    );
    expect_no_events(&mut second, &mut events, &ALL.map(|(t, _)| t));

    // Deregistered from the first, it may join the second, and only the second reports it.
    first.registry().deregister(&mut stream).unwrap();
    second
        .registry()
        .register(&mut stream, Token(12), Interest::READABLE)
        .unwrap();
    assert_refused_by(&first, &mut stream);
    let mut buf = [0u8; 8];
    assert_eq!(stream.read(&mut buf).unwrap(), 1);
    (&client).write_all(b"y").unwrap();
    expect_events(
        &mut second,
        &mut events,
        &[Expect::new(Token(12), Interest::READABLE)],
    );
    expect_no_events(&mut first, &mut events, &[Token(10), Token(11), Token(12)]);
    second.registry().deregister(&mut stream).unwrap();
    first.registry().deregister(&mut listener).unwrap();
}

#[test]
#[cfg_attr(miri, ignore = "Miri emulates TCP sockets only, not UDP")]
fn udp_register_multiple_event_loops() {
    let mut first = Poll::new().unwrap();
    let mut second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);

    let mut socket = UdpSocket::bind(local()).unwrap();
    let addr = socket.local_addr().unwrap();
    first
        .registry()
        .register(&mut socket, Token(20), Interest::READABLE)
        .unwrap();
    assert_refused_by(&second, &mut socket);

    let sender = net::UdpSocket::bind(local()).unwrap();
    sender.send_to(b"x", addr).unwrap();
    expect_events(
        &mut first,
        &mut events,
        &[Expect::new(Token(20), Interest::READABLE)],
    );
    expect_no_events(&mut second, &mut events, &ALL.map(|(t, _)| t));

    // The refused calls changed nothing: reregistering through the first Poll still works.
    first
        .registry()
        .reregister(&mut socket, Token(21), Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut first,
        &mut events,
        &[Expect::new(Token(21), Interest::WRITABLE)],
    );
    first.registry().deregister(&mut socket).unwrap();
    second
        .registry()
        .register(&mut socket, Token(22), Interest::READABLE)
        .unwrap();
    second.registry().deregister(&mut socket).unwrap();
}

/// The pipes of `unix::pipe` are checked the same way (on Windows, `channel` is TCP; WASI has
/// neither pipes nor a second thread to write).
#[cfg(any(windows, all(unix, feature = "os-ext")))]
#[test]
fn channel_register_multiple_event_loops() {
    let mut first = Poll::new().unwrap();
    let second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = util::channel();
    first
        .registry()
        .register(&mut rx, Token(30), Interest::READABLE)
        .unwrap();
    first
        .registry()
        .register(&mut tx, Token(31), Interest::WRITABLE)
        .unwrap();
    assert_refused_by(&second, &mut rx);
    assert_refused_by(&second, &mut tx);
    tx.write_all(b"x").unwrap();
    expect_events(
        &mut first,
        &mut events,
        &[Expect::new(Token(30), Interest::READABLE)],
    );
    first.registry().deregister(&mut rx).unwrap();
    first.registry().deregister(&mut tx).unwrap();
}

/// A `Registry` cloned from a dropped `Poll` keeps the poller, and its registrations, alive:
/// the source still belongs to it. Once the last handle is gone, the source is free.
#[test]
#[cfg_attr(miri, ignore = "Miri emulates TCP sockets only, not UDP")]
fn a_registry_clone_keeps_the_source_registered() {
    let mut socket = UdpSocket::bind(local()).unwrap();
    let first = Poll::new().unwrap();
    let clone = first.registry().try_clone().unwrap();
    first
        .registry()
        .register(&mut socket, Token(40), Interest::READABLE)
        .unwrap();
    drop(first);
    let second = Poll::new().unwrap();
    assert_refused_by(&second, &mut socket);
    // The clone is the same poller: it may reregister and deregister.
    clone
        .reregister(&mut socket, Token(41), Interest::READABLE)
        .unwrap();
    drop(clone);
    second
        .registry()
        .register(&mut socket, Token(42), Interest::READABLE)
        .unwrap();
    second.registry().deregister(&mut socket).unwrap();
}

/// The same through the crate's other socket type, registered through one Poll and
/// unregistered through another: the refused deregister leaves it registered.
#[test]
fn a_refused_deregister_keeps_the_registration() {
    let mut first = Poll::new().unwrap();
    let second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let listener = net::TcpListener::bind(local()).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    first
        .registry()
        .register(&mut stream, Token(50), Interest::WRITABLE)
        .unwrap();
    assert_elsewhere(second.registry().deregister(&mut stream));
    // Still registered with the first: its connect completes there.
    let _accepted = listener.accept().unwrap();
    expect_events(
        &mut first,
        &mut events,
        &[Expect::new(Token(50), Interest::WRITABLE)],
    );
    first.registry().deregister(&mut stream).unwrap();
}
