//! Wakers: any number per `Poll`, each delivering its own token (also a token another source
//! uses), and no wake-up ever lost under concurrency.
// WASI has no Waker (one thread, as in mio).
#![cfg(not(ferrio_no_waker))]
// Needs `os-poll` for `Poll`, and on Unix `os-ext` for the pipes (`os-ext` brings both).
#![cfg(feature = "os-ext")]
mod util;

#[cfg(unix)]
use std::io::{Read, Write};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Instant;

#[cfg(unix)]
use ferrio::unix::pipe;
use ferrio::{Events, Interest, Poll, Token, Waker};

#[cfg(unix)]
use util::expect_no_events;
use util::{expect_events, Expect, TIMEOUT};

#[test]
fn a_wake_before_poll_is_reported_as_readable() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), Token(3)).unwrap();
    waker.wake().unwrap();
    waker.wake().unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(3), Interest::READABLE)],
    );
    assert!(
        seen.iter()
            .all(|s| s.token == Token(3) && s.readable && !s.writable),
        "{seen:?}"
    );
    // Several wakes may be merged into one event, but once reported nothing is left over
    // that would keep reporting.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        util::poll_retrying(&mut poll, &mut events, Some(util::QUIET));
        if events.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the Waker keeps reporting: {events:?}"
        );
    }
}

// Uses a pipe as the source that shares a token (Unix only).
#[cfg(unix)]
#[test]
fn several_wakers_each_deliver_their_own_token() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (a, b, c) = (Token(1), Token(2), Token(3));
    let wa = Waker::new(poll.registry(), a).unwrap();
    let wb = Waker::new(poll.registry(), b).unwrap();
    // The third Waker shares its token with a pipe.
    let wc = Waker::new(poll.registry(), c).unwrap();
    let (mut tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, c, Interest::READABLE)
        .unwrap();
    let mut buf = [0u8; 16];

    wa.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(a, Interest::READABLE)],
    );
    expect_no_events(&mut poll, &mut events, &[a, b, c]);

    wb.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(b, Interest::READABLE)],
    );
    expect_no_events(&mut poll, &mut events, &[a, b, c]);

    // The pipe alone: its event carries the shared token and the data is there.
    tx.write_all(b"data").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(c, Interest::READABLE)],
    );
    assert_eq!(rx.read(&mut buf).unwrap(), 4);
    assert_eq!(
        rx.read(&mut buf).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
    expect_no_events(&mut poll, &mut events, &[a, b, c]);

    // The Waker alone, with the pipe empty: still reported under the shared token.
    wc.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(c, Interest::READABLE)],
    );
    assert_eq!(
        rx.read(&mut buf).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
    expect_no_events(&mut poll, &mut events, &[a, b, c]);

    // All at once: every token arrives, and the pipe's data is intact.
    wa.wake().unwrap();
    wb.wake().unwrap();
    wc.wake().unwrap();
    tx.write_all(b"more").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(a, Interest::READABLE),
            Expect::new(b, Interest::READABLE),
            Expect::new(c, Interest::READABLE),
        ],
    );
    assert_eq!(rx.read(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"more");

    // Dropping one Waker leaves the others working.
    drop(wa);
    wb.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(b, Interest::READABLE)],
    );
    wc.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(c, Interest::READABLE)],
    );
}

#[test]
fn many_wakers_on_one_poll() {
    const WAKERS: usize = 64;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let wakers: Vec<Waker> = (0..WAKERS)
        .map(|i| Waker::new(poll.registry(), Token(i)).unwrap())
        .collect();
    for waker in wakers.iter().rev() {
        waker.wake().unwrap();
    }
    let expected: Vec<Expect> = (0..WAKERS)
        .map(|i| Expect::new(Token(i), Interest::READABLE))
        .collect();
    expect_events(&mut poll, &mut events, &expected);
}

#[test]
fn a_waker_woken_from_many_threads_is_never_lost() {
    const THREADS: usize = 8;
    // Fewer under Miri, whose interpreter runs the 400 in about ten minutes.
    const ROUNDS: usize = if cfg!(miri) { 40 } else { 400 };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let token = Token(77);
    let waker = Arc::new(Waker::new(poll.registry(), token).unwrap());
    // Each round the main thread tells every thread to go; either all of them or only one of
    // them (taking turns) wakes, and each reports back. Once every wake of the round has
    // returned, the poller must see the event. Channels with timeouts (not barriers) keep
    // every wait bounded even if a thread fails.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut go = Vec::new();
    let mut threads = Vec::new();
    for i in 0..THREADS {
        let (go_tx, go_rx) = mpsc::channel::<usize>();
        let (waker, done_tx) = (Arc::clone(&waker), done_tx.clone());
        go.push(go_tx);
        threads.push(thread::spawn(move || {
            // Ends when the main thread drops its sender (finished or failed).
            while let Ok(round) = go_rx.recv() {
                if round % 2 == 0 || round / 2 % THREADS == i {
                    waker.wake().unwrap();
                }
                if done_tx.send(()).is_err() {
                    return;
                }
            }
        }));
    }
    for round in 0..ROUNDS {
        for go_tx in &go {
            go_tx.send(round).expect("waker thread alive");
        }
        for _ in 0..THREADS {
            done_rx
                .recv_timeout(TIMEOUT)
                .expect("waker thread reports within TIMEOUT");
        }
        let deadline = Instant::now() + TIMEOUT;
        'seen: loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "round {round}: the wake-up was lost");
            util::poll_retrying(&mut poll, &mut events, Some(left));
            for e in &events {
                assert_eq!(e.token(), token);
                if e.is_readable() {
                    break 'seen;
                }
            }
        }
    }
    drop(go);
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_waker_wakes_a_poll_blocked_in_another_thread() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), Token(1)).unwrap());
    for _ in 0..20 {
        let (tid_tx, tid_rx) = mpsc::channel();
        let remote = Arc::clone(&waker);
        let t = thread::spawn(move || {
            let tid = tid_rx.recv_timeout(TIMEOUT).expect("poller thread id");
            util::wait_until_blocked(tid);
            remote.wake().unwrap();
        });
        tid_tx.send(util::thread_id()).unwrap();
        expect_events(
            &mut poll,
            &mut events,
            &[Expect::new(Token(1), Interest::READABLE)],
        );
        t.join().unwrap();
    }
}
