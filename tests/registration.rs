//! Registration semantics on every backend: errors for double registration and for unknown
//! sources, no events after `deregister` (also for events the backend had already collected),
//! and `reregister` replacing both token and interests.
//!
//! The sources are pipes on Unix and loopback TCP connections on Windows (see [`channel`]);
//! the tests of raw fds (`SourceFd`) are Unix-only.
#![cfg(any(all(unix, feature = "os-ext"), all(windows, feature = "net")))]

mod util;

use std::io::{self, Read, Write};
#[cfg(unix)]
use std::os::fd::AsRawFd;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Instant;

#[cfg(unix)]
use ferrio::unix::SourceFd;
use ferrio::{Events, Interest, Poll, Token, Waker};

use util::{channel, expect_event_where, expect_events, expect_no_events, Expect, TIMEOUT};

#[track_caller]
fn assert_error(result: io::Result<()>, kind: io::ErrorKind, text: &str) {
    let err = result.expect_err("expected an error");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(
        err.to_string().contains(text),
        "{err:?} does not say {text:?}"
    );
}

#[test]
fn double_register_is_already_exists() {
    let poll = Poll::new().unwrap();
    let (_tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();
    // Same token, another token, other interests: all refused.
    for (token, interests) in [
        (Token(0), Interest::READABLE),
        (Token(1), Interest::READABLE),
        (Token(1), Interest::READABLE | Interest::WRITABLE),
    ] {
        assert_error(
            poll.registry().register(&mut rx, token, interests),
            io::ErrorKind::AlreadyExists,
            "already registered",
        );
    }
    // Through a cloned registry (the same poller) too.
    let clone = poll.registry().try_clone().unwrap();
    assert_error(
        clone.register(&mut rx, Token(2), Interest::READABLE),
        io::ErrorKind::AlreadyExists,
        "already registered",
    );
    // The first registration is intact.
    poll.registry().deregister(&mut rx).unwrap();
}

#[cfg(unix)]
#[test]
fn double_register_of_a_raw_fd_is_already_exists() {
    let poll = Poll::new().unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    util::set_nonblocking(&a);
    let fd = a.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
        .unwrap();
    assert_error(
        poll.registry()
            .register(&mut SourceFd(&fd), Token(1), Interest::WRITABLE),
        io::ErrorKind::AlreadyExists,
        "already registered",
    );
    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
}

#[test]
fn unknown_sources_are_not_found() {
    let poll = Poll::new().unwrap();
    let (mut tx, mut rx) = channel();
    assert_error(
        poll.registry()
            .reregister(&mut rx, Token(0), Interest::READABLE),
        io::ErrorKind::NotFound,
        "not registered",
    );
    assert_error(
        poll.registry().deregister(&mut rx),
        io::ErrorKind::NotFound,
        "not registered",
    );
    assert_error(
        poll.registry().deregister(&mut tx),
        io::ErrorKind::NotFound,
        "not registered",
    );

    #[cfg(unix)]
    {
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        assert_error(
            poll.registry()
                .reregister(&mut SourceFd(&fd), Token(0), Interest::READABLE),
            io::ErrorKind::NotFound,
            "not registered",
        );
        assert_error(
            poll.registry().deregister(&mut SourceFd(&fd)),
            io::ErrorKind::NotFound,
            "not registered",
        );
    }

    // Deregistered is unknown again; registered again is fine again.
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut rx).unwrap();
    assert_error(
        poll.registry().deregister(&mut rx),
        io::ErrorKind::NotFound,
        "not registered",
    );
    assert_error(
        poll.registry()
            .reregister(&mut rx, Token(0), Interest::READABLE),
        io::ErrorKind::NotFound,
        "not registered",
    );
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();
}

/// epoll validates the fd when it is registered; its errno comes back unwrapped. (poll(2)
/// only looks at fds when it polls, so this is epoll-only.)
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(ferrio_force_poll, mio_unsupported_force_poll_poll))
))]
#[test]
fn os_errors_pass_through_unwrapped() {
    let poll = Poll::new().unwrap();
    let bad = -1;
    let err = poll
        .registry()
        .register(&mut SourceFd(&bad), Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err:?}");
    // The "already registered" error keeps the OS error it came from as its source.
    let (_tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap_err();
    let inner = err
        .get_ref()
        .and_then(|e| e.source())
        .and_then(|e| e.downcast_ref::<io::Error>());
    assert_eq!(
        inner.and_then(|e| e.raw_os_error()),
        Some(libc::EEXIST),
        "{err:?}"
    );
}

#[test]
fn deregistered_source_with_pending_data_is_never_reported() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();
    tx.write_all(b"pending").unwrap();
    poll.registry().deregister(&mut rx).unwrap();
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
    // More data after deregistration does not bring it back either.
    tx.write_all(b"more").unwrap();
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
}

/// Events the backend has already collected but not yet handed out (because `Events` was
/// full) must not surface after `deregister`: tokio keeps pointers in tokens.
#[test]
fn events_held_back_by_capacity_are_dropped_on_deregister() {
    const SOURCES: usize = 8;
    let mut poll = Poll::new().unwrap();
    let mut pipes = Vec::new();
    for i in 0..SOURCES {
        let (mut tx, mut rx) = channel();
        poll.registry()
            .register(&mut rx, Token(i), Interest::READABLE)
            .unwrap();
        tx.write_all(b"x").unwrap();
        pipes.push((tx, rx));
    }
    let mut events = Events::with_capacity(1);
    let first = expect_event_where(&mut poll, &mut events, "any pipe", |e| {
        e.token().0 < SOURCES
    });
    for (_, rx) in &mut pipes {
        poll.registry().deregister(rx).unwrap();
    }
    let old: Vec<Token> = (0..SOURCES).map(Token).collect();
    expect_no_events(&mut poll, &mut events, &old);

    // Registered again under new tokens: only the new tokens are ever reported.
    for (i, (_, rx)) in pipes.iter_mut().enumerate() {
        poll.registry()
            .register(rx, Token(100 + i), Interest::READABLE)
            .unwrap();
    }
    let mut seen = [false; SOURCES];
    let deadline = Instant::now() + TIMEOUT;
    while !seen.iter().all(|s| *s) {
        assert!(
            Instant::now() < deadline,
            "after re-registration only saw {seen:?}"
        );
        util::poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        for e in &events {
            let t = e.token().0;
            assert!(
                (100..100 + SOURCES).contains(&t),
                "stale token {t} (first was {first:?})"
            );
            seen[t - 100] = true;
        }
    }
}

#[test]
fn reregister_replaces_the_token() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut rx, Token(2), Interest::READABLE)
        .unwrap();
    tx.write_all(b"x").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(2), Interest::READABLE)],
    );
    assert!(
        seen.iter().all(|s| s.token != Token(1)),
        "old token reported: {seen:?}"
    );
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
    let mut buf = [0u8; 8];
    assert_eq!(rx.read(&mut buf).unwrap(), 1);
}

/// Re-registering replaces the interests and the token: `source` is registered readable
/// (idle: nothing reported), then writable under a new token (a byte `peer` writes is not
/// reported as readable, even over a quiet period), then readable again under a third token
/// (the pending byte is reported, and `read` takes it).
fn reregister_replaces_the_interests_of<S: ferrio::event::Source>(
    source: &mut S,
    peer: &mut impl Write,
    read: impl FnOnce(&mut S, &mut [u8]) -> io::Result<usize>,
) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);

    poll.registry()
        .register(source, Token(1), Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events, &[Token(1)]);

    poll.registry()
        .reregister(source, Token(2), Interest::WRITABLE)
        .unwrap();
    peer.write_all(b"x").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(2), Interest::WRITABLE)],
    );
    for s in &seen {
        assert_ne!(s.token, Token(1), "old token reported: {seen:?}");
        assert!(
            !(s.token == Token(2) && s.readable),
            "readability reported without interest: {seen:?}"
        );
    }
    let deadline = Instant::now() + util::QUIET;
    while Instant::now() < deadline {
        util::poll_retrying(&mut poll, &mut events, Some(util::QUIET));
        for e in &events {
            assert_ne!(e.token(), Token(1), "old token reported: {e:?}");
            assert!(
                !e.is_readable(),
                "readability reported without interest: {e:?}"
            );
        }
    }

    poll.registry()
        .reregister(source, Token(3), Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(3), Interest::READABLE)],
    );
    let mut buf = [0u8; 4];
    assert_eq!(read(source, &mut buf).unwrap(), 1);
    poll.registry().deregister(source).unwrap();
}

/// With a Unix socket's fd, through `SourceFd`.
#[cfg(unix)]
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's socketpair has no send(2), which UnixStream writes with"
)]
fn reregister_replaces_the_interests() {
    let (local, mut peer) = UnixStream::pair().unwrap();
    util::set_nonblocking(&local);
    let fd = local.as_raw_fd();
    reregister_replaces_the_interests_of(&mut SourceFd(&fd), &mut peer, |_, buf| {
        (&local).read(buf)
    });
}

/// With a TCP connection registered directly (Windows has no `SourceFd`).
#[cfg(windows)]
#[test]
fn reregister_replaces_the_interests() {
    let (mut peer, mut local) = channel();
    reregister_replaces_the_interests_of(&mut local, &mut peer, |s, buf| s.read(buf));
}

#[test]
fn register_again_after_deregister() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = channel();
    for round in 0..5 {
        let token = Token(10 + round);
        poll.registry()
            .register(&mut rx, token, Interest::READABLE)
            .unwrap();
        tx.write_all(b"x").unwrap();
        let seen = expect_events(
            &mut poll,
            &mut events,
            &[Expect::new(token, Interest::READABLE)],
        );
        assert!(
            seen.iter().all(|s| s.token == token),
            "round {round}: {seen:?}"
        );
        let mut buf = [0u8; 8];
        assert_eq!(rx.read(&mut buf).unwrap(), 1);
        poll.registry().deregister(&mut rx).unwrap();
    }
}

#[test]
fn a_cloned_registry_registers_with_the_same_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let clone = poll.registry().try_clone().unwrap();
    let clone_of_clone = clone.try_clone().unwrap();
    let (mut tx, mut rx) = channel();
    clone_of_clone
        .register(&mut rx, Token(4), Interest::READABLE)
        .unwrap();
    let waker = Waker::new(&clone, Token(5)).unwrap();
    drop(clone);
    drop(clone_of_clone);
    tx.write_all(b"x").unwrap();
    waker.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(Token(4), Interest::READABLE),
            Expect::new(Token(5), Interest::READABLE),
        ],
    );
    // And the original registry sees the clone's registration.
    poll.registry().deregister(&mut rx).unwrap();
}

/// A source still registered with a `Poll` that has been dropped can be registered with a new
/// one (the old registration ended with its poller), on every backend.
#[test]
fn source_outlives_its_poll() {
    let (mut tx, mut rx) = channel();
    {
        let first = Poll::new().unwrap();
        first
            .registry()
            .register(&mut rx, Token(1), Interest::READABLE)
            .unwrap();
    }
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut rx, Token(2), Interest::READABLE)
        .unwrap();
    tx.write_all(b"x").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(2), Interest::READABLE)],
    );
}
