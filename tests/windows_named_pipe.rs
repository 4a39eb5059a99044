//! `ferrio::windows::NamedPipe`: connecting, transfers through the internal buffers (also
//! larger than them), I/O while unregistered, writes to a disconnected pipe, and no events
//! after `deregister`.
#![cfg(all(windows, feature = "os-ext"))]
// The crate's unsafe rules (see src/lib.rs) hold in the tests too.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

mod util;

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{FromRawHandle, IntoRawHandle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ferrio::windows::NamedPipe;
use ferrio::{Events, Interest, Poll, Token};
use util::{expect_events, expect_no_events, until_ready, Expect, TIMEOUT};

/// `FILE_FLAG_OVERLAPPED`: client ends must be opened for overlapped I/O.
const FILE_FLAG_OVERLAPPED: u32 = 0x4000_0000;

const SERVER: Token = Token(1);
const CLIENT: Token = Token(2);

fn unique_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        r"\\.\pipe\ferrio-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn client(name: &str) -> NamedPipe {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(FILE_FLAG_OVERLAPPED)
        .open(name)
        .unwrap();
    // SAFETY: an overlapped pipe handle we own and hand over.
    unsafe { NamedPipe::from_raw_handle(file.into_raw_handle()) }
}

/// A connected (server, client) pair, both registered (SERVER, CLIENT).
fn pair(poll: &mut Poll, events: &mut Events) -> (NamedPipe, NamedPipe) {
    let name = unique_name();
    let mut server = NamedPipe::new(&name).unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    match server.connect() {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => panic!("connect: {e}"),
    }
    let mut client = client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    // The connect completes: a writable event for the server, and no error.
    expect_events(poll, events, &[Expect::new(SERVER, Interest::WRITABLE)]);
    assert!(server.take_error().unwrap().is_none());
    (server, client)
}

#[test]
fn named_pipe_is_send_and_sync() {
    util::assert_send_sync::<NamedPipe>();
}

#[test]
fn connect_and_transfer_both_ways() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = pair(&mut poll, &mut events);

    let n = until_ready(&mut poll, &mut events, || client.write(b"ping")).unwrap();
    assert_eq!(n, 4);
    let mut buf = [0u8; 16];
    let n = until_ready(&mut poll, &mut events, || server.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"ping");

    let n = until_ready(&mut poll, &mut events, || (&server).write(b"pong")).unwrap();
    assert_eq!(n, 4);
    let n = until_ready(&mut poll, &mut events, || (&client).read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"pong");
}

#[test]
fn transfers_larger_than_the_internal_buffer() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = pair(&mut poll, &mut events);
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    let mut received = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while received.len() < data.len() {
        assert!(
            Instant::now() < deadline,
            "stalled at {} bytes",
            received.len()
        );
        if sent < data.len() {
            match server.write(&data[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("write: {e}"),
            }
        }
        let mut buf = [0u8; 1000];
        loop {
            match client.read(&mut buf) {
                Ok(0) => panic!("unexpected end of file"),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        if received.len() < data.len() {
            util::poll_retrying(
                &mut poll,
                &mut events,
                Some(std::time::Duration::from_millis(100)),
            );
        }
    }
    assert!(received == data, "data differs");
}

#[test]
fn unregistered_pipes_would_block() {
    let name = unique_name();
    let server = NamedPipe::new(&name).unwrap();
    let client = client(&name);
    let mut buf = [0u8; 4];
    assert_eq!(
        (&server).read(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(
        (&client).write(b"x").unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(
        server.connect().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
}

#[test]
fn disconnect_ends_the_client_and_writes_fail() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, mut client) = pair(&mut poll, &mut events);
    server.disconnect().unwrap();
    // The client's read ends, reported by an event: with ERROR_PIPE_NOT_CONNECTED (233) after
    // a disconnect (end-of-file, `Ok(0)`, is for a closed server handle).
    let mut buf = [0u8; 4];
    match until_ready(&mut poll, &mut events, || client.read(&mut buf)) {
        Ok(n) => assert_eq!(n, 0),
        Err(e) => assert_eq!(e.raw_os_error(), Some(233), "{e:?}"),
    }
    // A write fails (at once or through the write's completion) and never hangs.
    let deadline = Instant::now() + TIMEOUT;
    let err = loop {
        assert!(
            Instant::now() < deadline,
            "write to a disconnected pipe never failed"
        );
        match client.write(b"lost") {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                util::poll_retrying(
                    &mut poll,
                    &mut events,
                    Some(std::time::Duration::from_millis(100)),
                );
            }
            Err(e) => break e,
            Ok(_) => {}
        }
    };
    assert!(err.raw_os_error().is_some(), "{err:?}");
}

#[test]
fn closing_the_server_gives_the_client_end_of_file() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, mut client) = pair(&mut poll, &mut events);
    drop(server);
    let mut buf = [0u8; 4];
    let n = until_ready(&mut poll, &mut events, || client.read(&mut buf)).unwrap();
    assert_eq!(n, 0);
    assert_eq!(client.read(&mut buf).unwrap(), 0);
}

#[test]
fn no_events_after_deregister() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = pair(&mut poll, &mut events);
    poll.registry().deregister(&mut client).unwrap();
    until_ready(&mut poll, &mut events, || server.write(b"data")).unwrap();
    expect_no_events(&mut poll, &mut events, &[CLIENT]);
    assert_eq!(
        poll.registry().deregister(&mut client).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    // Registered again with the same Poll: the data that arrived meanwhile is reported.
    poll.registry()
        .register(&mut client, Token(3), Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(3), Interest::READABLE)],
    );
    let mut buf = [0u8; 8];
    let n = until_ready(&mut poll, &mut events, || client.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"data");
    // Another Poll is refused: a handle belongs to one completion port for good.
    let other = Poll::new().unwrap();
    poll.registry().deregister(&mut client).unwrap();
    assert_eq!(
        other
            .registry()
            .register(&mut client, Token(4), Interest::READABLE)
            .unwrap_err()
            .kind(),
        io::ErrorKind::AlreadyExists
    );
    drop(server);
}

/// mio's `reregister_deregister_different_poll`: a pipe registered with one `Poll` and then
/// reregistered or deregistered through another's registry gets `AlreadyExists`, and stays
/// registered with the first.
#[test]
fn reregister_deregister_through_another_poll() {
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let mut server = NamedPipe::new(unique_name()).unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    let err = other
        .registry()
        .reregister(&mut server, SERVER, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    let err = other.registry().deregister(&mut server).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    // Still registered with the first Poll; once deregistered there, it is registered nowhere.
    poll.registry()
        .reregister(&mut server, SERVER, Interest::WRITABLE)
        .unwrap();
    poll.registry().deregister(&mut server).unwrap();
    let err = other.registry().deregister(&mut server).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
}

/// Asserts that a zero-timeout poll, and then a short watch, report nothing for `token`.
fn nothing_yet(poll: &mut Poll, events: &mut Events, token: Token) {
    poll.poll(events, Some(std::time::Duration::ZERO)).unwrap();
    assert!(
        events.iter().all(|e| e.token() != token),
        "unexpected event {:?}",
        events.iter().find(|e| e.token() == token)
    );
    expect_no_events(poll, events, &[token]);
}

/// A new server pipe registered for both directions, with no client yet: nothing is reported
/// for it.
fn fresh_registered_server() -> (Poll, Events, String, NamedPipe) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let name = unique_name();
    let mut server = NamedPipe::new(&name).unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    nothing_yet(&mut poll, &mut events, SERVER);
    (poll, events, name, server)
}

/// mio's `connect_before_client`: a fresh server pipe registered for both directions reports
/// nothing until a client connects; the pending `connect`'s completion is then a writable
/// event.
#[test]
fn no_event_before_a_client_connects() {
    let (mut poll, mut events, name, server) = fresh_registered_server();
    assert_eq!(
        server.connect().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    nothing_yet(&mut poll, &mut events, SERVER);
    let mut client = client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(SERVER, Interest::WRITABLE),
            Expect::new(CLIENT, Interest::WRITABLE),
        ],
    );
    assert!(server.take_error().unwrap().is_none());
}

/// mio's `connect_after_client`: nothing is reported for the registered server before the
/// client opens the pipe; a `connect` made after that succeeds at once and is followed by a
/// writable event.
#[test]
fn connect_after_the_client_opened_the_pipe() {
    let (mut poll, mut events, name, mut server) = fresh_registered_server();
    let mut client = client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    until_ready(&mut poll, &mut events, || server.connect()).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(SERVER, Interest::WRITABLE)],
    );
    // And the pipe works both ways.
    until_ready(&mut poll, &mut events, || client.write(b"hi")).unwrap();
    let mut buf = [0u8; 4];
    let n = until_ready(&mut poll, &mut events, || server.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"hi");
}
