//! Behaviour the poll(2) backend has to emulate (edge triggering, the capacity limit,
//! registration during a blocked poll, several Wakers), checked on whichever backend is built:
//! epoll gives most of it for free, so the same tests pin both down.
//!
//! Run against poll(2) with `RUSTFLAGS="--cfg ferrio_force_poll" cargo test --test poll_backend`.
#![cfg(all(unix, feature = "os-ext"))]
// The crate's unsafe rules (see src/lib.rs) hold in the tests too.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

mod util;

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ferrio::unix::{pipe, SourceFd};
use ferrio::{Events, Interest, Poll, Token, Waker};
use util::{expect_events, expect_no_events, poll_retrying, Expect, QUIET, TIMEOUT};

/// Reads until `WouldBlock`; returns the byte count.
fn drain(rx: &mut pipe::Receiver) -> usize {
    let mut buf = [0u8; 1024];
    let mut total = 0;
    loop {
        match rx.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

/// Polls until an event (of any kind) for `token` arrives; returns everything seen.
#[track_caller]
fn expect_token(poll: &mut Poll, events: &mut Events, token: Token) -> Vec<util::Seen> {
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    while !seen.iter().any(|s: &util::Seen| s.token == token) {
        assert!(
            Instant::now() < deadline,
            "no event for {token:?} within {TIMEOUT:?}: {seen:?}"
        );
        poll_retrying(poll, events, Some(TIMEOUT));
        seen.extend(events.iter().map(util::Seen::from));
    }
    seen
}

/// Gives a thread that is about to call `poll` time to block in it. Only makes the tested
/// interleaving likely; the tests pass whichever interleaving happens.
fn let_poller_block() {
    thread::sleep(Duration::from_millis(50));
}

#[test]
fn register_from_another_thread_during_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let registry = poll.registry().try_clone().unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let b = Arc::clone(&barrier);
    let handle = thread::spawn(move || {
        let (mut tx, mut rx) = pipe::new().unwrap();
        tx.write_all(b"hello").unwrap();
        b.wait();
        let_poller_block();
        registry
            .register(&mut rx, Token(3), Interest::READABLE)
            .unwrap();
        (tx, rx)
    });
    barrier.wait();
    let start = Instant::now();
    // One call: the registration must take effect in it, without an early empty return.
    poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
    assert!(
        start.elapsed() < TIMEOUT,
        "the registration did not wake the poller"
    );
    let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
    assert_eq!(tokens, [Token(3)]);
    assert!(events.iter().next().unwrap().is_readable());
    let _ends = handle.join().unwrap();
}

#[test]
fn many_modifiers_while_polling_do_not_stall() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 200;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut handles = Vec::new();
    let mut wakers = Vec::new();
    for t in 0..THREADS {
        let registry = poll.registry().try_clone().unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), Token(1000 + t)).unwrap());
        wakers.push(Arc::clone(&waker));
        handles.push(thread::spawn(move || {
            let (_tx, mut rx) = pipe::new().unwrap();
            for round in 0..ROUNDS {
                registry
                    .register(&mut rx, Token(t * ROUNDS + round), Interest::READABLE)
                    .unwrap();
                registry
                    .reregister(&mut rx, Token(t * ROUNDS + round), Interest::READABLE)
                    .unwrap();
                registry.deregister(&mut rx).unwrap();
            }
            waker.wake().unwrap();
        }));
    }
    let start = Instant::now();
    let expected: Vec<Expect> = (0..THREADS)
        .map(|t| Expect::new(Token(1000 + t), Interest::READABLE))
        .collect();
    let seen = expect_events(&mut poll, &mut events, &expected);
    assert!(
        seen.iter().all(|s| s.token.0 >= 1000),
        "no pipe ever had data: {seen:?}"
    );
    // Each modification interrupts a blocked poll at most once; nothing waits for the
    // 10 s poll timeout.
    assert!(
        start.elapsed() < TIMEOUT / 2,
        "modifiers stalled: {:?}",
        start.elapsed()
    );
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn deregister_while_another_thread_polls() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let registry = poll.registry().try_clone().unwrap();
    let (mut tx, mut rx) = pipe::new().unwrap();
    registry
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();
    let waker = Arc::new(Waker::new(poll.registry(), Token(2)).unwrap());
    let deregistered = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(2));

    let (w, d, b) = (
        Arc::clone(&waker),
        Arc::clone(&deregistered),
        Arc::clone(&barrier),
    );
    let handle = thread::spawn(move || {
        b.wait();
        let_poller_block();
        registry.deregister(&mut rx).unwrap();
        d.store(true, Ordering::SeqCst);
        // The pipe becomes readable only after it was deregistered.
        tx.write_all(b"late").unwrap();
        w.wake().unwrap();
        (tx, rx)
    });
    barrier.wait();
    let deadline = Instant::now() + TIMEOUT;
    let mut woken = false;
    while !woken {
        assert!(Instant::now() < deadline, "no wake-up within {TIMEOUT:?}");
        let began_after = deregistered.load(Ordering::SeqCst);
        poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        for event in events.iter() {
            match event.token() {
                Token(1) => assert!(!began_after, "event for a deregistered source: {event:?}"),
                Token(2) => woken = true,
                other => panic!("unexpected token {other:?}"),
            }
        }
    }
    let _ends = handle.join().unwrap();
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
}

#[test]
fn events_beyond_capacity_come_in_later_polls() {
    const PIPES: usize = 20;
    const CAPACITY: usize = 4;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(CAPACITY);
    let mut pipes = Vec::new();
    for i in 0..PIPES {
        let (mut tx, mut rx) = pipe::new().unwrap();
        poll.registry()
            .register(&mut rx, Token(i), Interest::READABLE)
            .unwrap();
        tx.write_all(b"x").unwrap();
        pipes.push((tx, rx));
    }
    let mut counts: HashMap<Token, usize> = HashMap::new();
    let deadline = Instant::now() + TIMEOUT;
    while counts.len() < PIPES {
        assert!(
            Instant::now() < deadline,
            "only {} of {PIPES} reported: {counts:?}",
            counts.len()
        );
        poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        assert!(events.iter().len() <= CAPACITY, "more events than capacity");
        assert_eq!(events.capacity(), CAPACITY);
        for event in events.iter() {
            assert!(event.is_readable());
            *counts.entry(event.token()).or_default() += 1;
        }
    }
    assert!(counts.values().all(|&n| n == 1), "duplicates: {counts:?}");
    // Nothing was drained, so (edge-triggered) nothing is reported again.
    expect_no_events(&mut poll, &mut events, &[]);
}

#[test]
fn wakers_share_tokens_with_sources_and_each_other() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, Token(5), Interest::READABLE)
        .unwrap();
    let same_as_pipe = Waker::new(poll.registry(), Token(5)).unwrap();
    let six = Waker::new(poll.registry(), Token(6)).unwrap();
    let seven = Waker::new(poll.registry(), Token(7)).unwrap();
    let also_seven = Waker::new(poll.registry(), Token(7)).unwrap();

    // A wake with the pipe's token is a wake, not pipe readiness (the pipe stays empty).
    same_as_pipe.wake().unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(5), Interest::READABLE)],
    );
    assert_eq!(seen.len(), 1, "{seen:?}");
    expect_no_events(&mut poll, &mut events, &[]);
    assert_eq!(drain(&mut rx), 0);

    six.wake().unwrap();
    seven.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(Token(6), Interest::READABLE),
            Expect::new(Token(7), Interest::READABLE),
        ],
    );
    expect_no_events(&mut poll, &mut events, &[]);

    // Pipe data and a wake with the same token: two events.
    tx.write_all(b"data").unwrap();
    same_as_pipe.wake().unwrap();
    also_seven.wake().unwrap();
    let mut fives = 0;
    let mut sevens = 0;
    let deadline = Instant::now() + TIMEOUT;
    while fives < 2 || sevens < 1 {
        assert!(
            Instant::now() < deadline,
            "saw {fives} x token 5 and {sevens} x token 7"
        );
        poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        for event in events.iter() {
            assert!(event.is_readable());
            match event.token() {
                Token(5) => fives += 1,
                Token(7) => sevens += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!((fives, sevens), (2, 1));
    expect_no_events(&mut poll, &mut events, &[]);
    assert_eq!(drain(&mut rx), 4);

    // Dropping Wakers leaves the others working; a new one can reuse a token.
    drop(six);
    drop(same_as_pipe);
    let new_six = Waker::new(poll.registry(), Token(6)).unwrap();
    new_six.wake().unwrap();
    seven.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(Token(6), Interest::READABLE),
            Expect::new(Token(7), Interest::READABLE),
        ],
    );
}

#[test]
fn drained_pipe_is_rearmed_and_reports_again() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, Token(9), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut tx, Token(10), Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(10), Interest::WRITABLE)],
    );

    for round in 0..3 {
        tx.write_all(b"ping").unwrap();
        expect_events(
            &mut poll,
            &mut events,
            &[Expect::new(Token(9), Interest::READABLE)],
        );
        assert_eq!(drain(&mut rx), 4, "round {round}");
        expect_no_events(&mut poll, &mut events, &[Token(9)]);
    }

    // Fill the pipe until the write blocks; draining it makes the writer report again.
    let chunk = [0u8; 4096];
    let mut written = 0;
    loop {
        match tx.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("write failed: {e}"),
        }
    }
    let mut read = 0;
    while read < written {
        expect_events(
            &mut poll,
            &mut events,
            &[Expect::new(Token(9), Interest::READABLE)],
        );
        read += drain(&mut rx);
    }
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(10), Interest::WRITABLE)],
    );
}

#[test]
fn hung_up_pipe_does_not_spin() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();
    drop(tx);
    let seen = expect_token(&mut poll, &mut events, Token(1));
    assert!(seen.iter().any(|s| s.read_closed), "{seen:?}");
    // Not read: the hang-up is not reported again.
    expect_no_events(&mut poll, &mut events, &[]);
    // Read to end of stream (0, not WouldBlock): still no new report.
    assert_eq!(drain(&mut rx), 0);
    expect_no_events(&mut poll, &mut events, &[]);

    // The writer whose reader is gone.
    let (mut tx, rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut tx, Token(2), Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(2), Interest::WRITABLE)],
    );
    drop(rx);
    let seen = expect_token(&mut poll, &mut events, Token(2));
    assert!(seen.iter().any(|s| s.write_closed), "{seen:?}");
    expect_no_events(&mut poll, &mut events, &[]);
    let start = Instant::now();
    poll_retrying(&mut poll, &mut events, Some(QUIET));
    assert!(events.is_empty());
    assert!(start.elapsed() >= QUIET, "poll returned early: spinning");
}

#[test]
fn source_fd_is_rearmed_by_reregister() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, rx) = pipe::new().unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&rx);
    poll.registry()
        .register(&mut SourceFd(&fd), Token(4), Interest::READABLE)
        .unwrap();
    tx.write_all(b"x").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(4), Interest::READABLE)],
    );
    // Data still unread: reregister arms the fd again (on every backend).
    poll.registry()
        .reregister(&mut SourceFd(&fd), Token(8), Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(8), Interest::READABLE)],
    );
    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
}

#[test]
fn registration_errors() {
    let poll = Poll::new().unwrap();
    let (_tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut rx, Token(2), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("already registered"), "{err}");
    poll.registry().deregister(&mut rx).unwrap();
    for err in [
        poll.registry().deregister(&mut rx).unwrap_err(),
        poll.registry()
            .reregister(&mut rx, Token(1), Interest::READABLE)
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("not registered"), "{err}");
    }
    // Registered and dropped without deregistering: the fd number can be registered again.
    let (_tx2, mut rx2) = pipe::new().unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&rx2);
    poll.registry()
        .register(&mut rx2, Token(3), Interest::READABLE)
        .unwrap();
    drop(rx2);
    let (_tx3, mut rx3) = pipe::new().unwrap();
    if std::os::fd::AsRawFd::as_raw_fd(&rx3) == fd {
        poll.registry()
            .register(&mut rx3, Token(4), Interest::READABLE)
            .unwrap();
    }
}

/// Issue 13, item 9: a `SourceFd` whose fd is closed without deregistering. poll(2) reports
/// POLLNVAL for it: the backend reports one error event and forgets the fd, so the next file
/// with that number can be registered. epoll forgets a closed fd by itself (the fd was not
/// duplicated), silently. Runs in a child process: it reuses an exact fd number, which other
/// test threads could otherwise be given meanwhile.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn closed_source_fd_is_reported_and_its_number_freed() {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    if !util::in_child() {
        return util::run_in_child("closed_source_fd_is_reported_and_its_number_freed");
    }
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_tx, rx) = pipe::new().unwrap();
    let fd = rx.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .unwrap();
    drop(rx);
    if cfg!(ferrio_poll) {
        let seen = expect_token(&mut poll, &mut events, Token(1));
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].error, "{seen:?}");
        assert!(!seen[0].readable && !seen[0].writable, "{seen:?}");
        // The entry is gone.
        let err = poll.registry().deregister(&mut SourceFd(&fd)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
    expect_no_events(&mut poll, &mut events, &[]);

    // A new file under the same number registers, and reports under its own token.
    let (mut tx2, rx2) = pipe::new().unwrap();
    // The lowest free number is usually the closed one; if the pipe got others, a duplicate
    // of its reading end is put there.
    let reused = (rx2.as_raw_fd() != fd).then(|| {
        // SAFETY: dup2 from the live `rx2` onto `fd`, a number this (single-threaded) process
        // has just closed and so owns nothing else; no pointers are passed.
        let n = unsafe { libc::dup2(rx2.as_raw_fd(), fd) };
        assert_eq!(n, fd, "dup2: {}", io::Error::last_os_error());
        // SAFETY: `n` is the new fd dup2 just made; nothing else owns it.
        unsafe { OwnedFd::from_raw_fd(n) }
    });
    poll.registry()
        .register(&mut SourceFd(&fd), Token(2), Interest::READABLE)
        .unwrap();
    tx2.write_all(b"x").unwrap();
    let seen = expect_token(&mut poll, &mut events, Token(2));
    assert!(
        seen.iter().all(|s| s.token == Token(2) && !s.error),
        "{seen:?}"
    );
    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
    drop((reused, rx2));
}
