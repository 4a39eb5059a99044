//! What `Poll::poll` promises on every backend: timeout rounding and clamping, interruption by
//! signals, the `Events` capacity (zero is an error, never more events than room), tokens
//! returned bit for bit, and registrations made by another thread during a blocking poll.
//!
//! Nothing here assumes a particular backend: the suite runs on epoll and again with the
//! poll(2) backend forced (`--cfg ferrio_force_poll`).
//!
//! The sources are pipes on Unix and loopback TCP connections on Windows (see [`channel`]);
//! the signal test is Unix-only (and not on the PS Vita, which has no signals).
#![cfg(any(all(unix, feature = "os-ext"), all(windows, feature = "net")))]
// The crate's unsafe rules (see src/lib.rs) hold in the tests too.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

mod util;

use std::io::{self, Read, Write};
#[cfg(all(unix, not(target_os = "vita")))]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
#[cfg(all(unix, not(target_os = "vita")))]
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ferrio::{Events, Interest, Poll, Token, Waker};

use util::{channel, expect_events, Expect, TIMEOUT};

/// The whole milliseconds a backend that counts in milliseconds must wait for `t`.
#[cfg(all(any(target_os = "linux", target_os = "android"), ferrio_force_poll))]
fn ceil_ms(t: Duration) -> Duration {
    let ms = t.as_nanos().saturating_add(999_999) / 1_000_000;
    Duration::from_millis(ms as u64)
}

#[test]
fn sub_millisecond_timeouts_are_not_rounded_down() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    // Something registered that never becomes ready.
    let (_tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();

    for timeout in [
        Duration::from_nanos(1),
        Duration::from_micros(100),
        Duration::from_micros(999),
        Duration::from_nanos(1_000_001),
    ] {
        let start = Instant::now();
        poll.poll(&mut events, Some(timeout)).unwrap();
        let elapsed = start.elapsed();
        assert!(
            events.is_empty(),
            "{timeout:?}: unexpected events {events:?}"
        );
        // Only lower bounds: a loaded machine may always oversleep.
        assert!(elapsed >= timeout, "{timeout:?} returned after {elapsed:?}");
        // poll(2) counts in milliseconds, so the rounding is observable: a sub-millisecond
        // timeout that became 0 would return at once. (epoll on Linux 5.11 and later waits
        // the timeout itself, with `epoll_pwait2`: only the lower bound above holds there.)
        #[cfg(all(any(target_os = "linux", target_os = "android"), ferrio_force_poll))]
        assert!(
            elapsed >= ceil_ms(timeout),
            "{timeout:?} returned after {elapsed:?}, before {:?}",
            ceil_ms(timeout)
        );
    }
}

#[test]
fn zero_timeout_does_not_block_and_still_reports_ready_events() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();

    // Nothing ready: returns with no events.
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    assert!(events.is_empty(), "{events:?}");

    // Something ready: a zero timeout still reports it (possibly after a few non-blocking
    // calls, which is the point of polling with zero).
    tx.write_all(b"x").unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        if events
            .iter()
            .any(|e| e.token() == Token(1) && e.is_readable())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a zero-timeout poll never reported the ready pipe"
        );
        thread::yield_now();
    }
    let mut buf = [0u8; 4];
    assert_eq!(rx.read(&mut buf).unwrap(), 1);
}

#[test]
fn huge_timeouts_neither_fail_nor_overflow() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), Token(5)).unwrap();
    // Each of these would overflow a naive conversion to milliseconds (or to a 32-bit int).
    // The Waker is woken first, so a correct poll returns at once with its event.
    for timeout in [
        Some(Duration::MAX),
        Some(Duration::from_secs(u64::MAX / 2)),
        Some(Duration::from_secs(u64::MAX / 1_000 + 1)),
        Some(Duration::from_millis(i32::MAX as u64 + 1)),
        Some(Duration::from_secs(30 * 24 * 3600)),
        Some(Duration::new(u64::MAX, 999_999_999)),
        None,
    ] {
        waker.wake().unwrap();
        poll.poll(&mut events, timeout)
            .unwrap_or_else(|e| panic!("{timeout:?}: {e}"));
        assert!(
            events
                .iter()
                .any(|e| e.token() == Token(5) && e.is_readable()),
            "{timeout:?}: the woken Waker was not reported: {events:?}"
        );
    }
}

#[test]
fn zero_capacity_events_is_invalid_input() {
    let mut poll = Poll::new().unwrap();
    // Woken first, so a backend that failed to reject the buffer could not block either.
    let waker = Waker::new(poll.registry(), Token(1)).unwrap();
    waker.wake().unwrap();

    let mut empty = Events::with_capacity(0);
    assert_eq!(empty.capacity(), 0);
    for timeout in [None, Some(Duration::ZERO), Some(TIMEOUT)] {
        let err = poll.poll(&mut empty, timeout).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::InvalidInput,
            "{timeout:?}: {err}"
        );
        assert!(empty.is_empty());
    }
    // The rejected calls consumed nothing: the wake-up is still there.
    let mut events = Events::with_capacity(4);
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(1), Interest::READABLE)],
    );
}

#[test]
fn never_more_events_than_capacity_and_the_rest_come_later() {
    const SOURCES: usize = 10;
    for capacity in [1, 3, SOURCES - 1] {
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
        let mut events = Events::with_capacity(capacity);
        let mut seen = [false; SOURCES];
        let deadline = Instant::now() + TIMEOUT;
        while !seen.iter().all(|s| *s) {
            assert!(
                Instant::now() < deadline,
                "capacity {capacity}: only saw {seen:?}"
            );
            util::poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
            let n = events.iter().count();
            assert!(
                n <= capacity,
                "capacity {capacity} but {n} events: {events:?}"
            );
            for event in &events {
                seen[event.token().0] = true;
            }
        }
    }
}

#[test]
fn tokens_round_trip_every_bit() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let high = Token(usize::MAX);
    let top_bit = Token(usize::MAX / 2 + 2);
    let zero = Token(0);

    let waker = Waker::new(poll.registry(), high).unwrap();
    let (mut tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, top_bit, Interest::READABLE)
        .unwrap();
    let (mut tx0, mut rx0) = channel();
    poll.registry()
        .register(&mut rx0, zero, Interest::READABLE)
        .unwrap();

    waker.wake().unwrap();
    tx.write_all(b"x").unwrap();
    tx0.write_all(b"x").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(high, Interest::READABLE),
            Expect::new(top_bit, Interest::READABLE),
            Expect::new(zero, Interest::READABLE),
        ],
    );
    for s in seen {
        assert!(
            [high, top_bit, zero].contains(&s.token),
            "unknown token {s:?}"
        );
    }
}

/// A no-op handler, installed without `SA_RESTART`. (The PS Vita has no signals to send.)
#[cfg(all(unix, not(target_os = "vita")))]
extern "C" fn ignore_signal(_: libc::c_int) {}

#[cfg(all(unix, not(target_os = "vita")))]
#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn signal_interrupts_a_blocked_poll() {
    if !util::in_child() {
        return util::run_in_child("signal_interrupts_a_blocked_poll");
    }
    // SAFETY: `sigaction` is a plain C struct for which all-zero bytes are a valid value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: `sa_mask` is a live, writable `sigset_t` inside `action`.
    assert_eq!(unsafe { libc::sigemptyset(&mut action.sa_mask) }, 0);
    action.sa_flags = 0;
    // SAFETY: `action` is fully initialised (zeroed, an empty mask, the handler); the handler
    // does nothing, so it is async-signal-safe; this runs in a child process of its own, so
    // replacing the disposition of SIGUSR1 affects no other test.
    let installed = unsafe { libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()) };
    assert_eq!(installed, 0);

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();

    // SAFETY: pthread_self has no preconditions. (Carried as an integer: on musl `pthread_t`
    // is a pointer, which cannot cross to another thread as it is.)
    let me = unsafe { libc::pthread_self() } as usize;
    let done = Arc::new(AtomicBool::new(false));
    let signaller = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            // A signal that lands before poll blocks is simply handled; keep sending until
            // the poller reports, bounded by TIMEOUT.
            let deadline = Instant::now() + TIMEOUT;
            while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
                // SAFETY: `me` is the polling thread, which outlives this thread (it joins it).
                let rc = unsafe { libc::pthread_kill(me as libc::pthread_t, libc::SIGUSR1) };
                assert_eq!(rc, 0);
                thread::sleep(Duration::from_millis(10));
            }
        })
    };
    // Longer than the signaller runs, so only an interruption ends this call early.
    let result = poll.poll(&mut events, Some(TIMEOUT * 2));
    done.store(true, Ordering::SeqCst);
    signaller.join().unwrap();
    match result {
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::Interrupted, "{e}"),
        Ok(()) => panic!("poll was not interrupted by the signal; events: {events:?}"),
    }
}

#[test]
fn registration_from_another_thread_takes_effect_in_the_blocked_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let registry = poll.registry().try_clone().unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    let other = thread::spawn(move || {
        let tid = tid_rx.recv_timeout(TIMEOUT).expect("poller thread id");
        util::wait_until_blocked(tid);
        let (mut tx, mut rx) = channel();
        tx.write_all(b"x").unwrap();
        registry
            .register(&mut rx, Token(7), Interest::READABLE)
            .unwrap();
        // Kept alive until the poller has looked.
        (tx, rx)
    });
    tid_tx.send(util::thread_id()).unwrap();
    let start = Instant::now();
    poll.poll(&mut events, Some(TIMEOUT)).unwrap();
    assert!(
        events.iter().any(|e| e.token() == Token(7) && e.is_readable()),
        "the registration made during poll was not seen by that call (returned after {:?} with {events:?})",
        start.elapsed()
    );
    let _ends = other.join().unwrap();
}

#[test]
fn reregistration_from_another_thread_takes_effect_in_the_blocked_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let registry = poll.registry().try_clone().unwrap();

    let (mut tx, mut rx) = channel();
    poll.registry()
        .register(&mut rx, Token(2), Interest::READABLE)
        .unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    let other = thread::spawn(move || {
        let tid = tid_rx.recv_timeout(TIMEOUT).expect("poller thread id");
        util::wait_until_blocked(tid);
        registry
            .reregister(&mut rx, Token(3), Interest::READABLE)
            .unwrap();
        tx.write_all(b"x").unwrap();
        (tx, rx)
    });
    tid_tx.send(util::thread_id()).unwrap();
    let start = Instant::now();
    poll.poll(&mut events, Some(TIMEOUT)).unwrap();
    assert!(
        events.iter().any(|e| e.token() == Token(3) && e.is_readable()),
        "the reregistration made during poll was not seen by that call (returned after {:?} with {events:?})",
        start.elapsed()
    );
    assert!(
        events.iter().all(|e| e.token() != Token(2)),
        "old token reported: {events:?}"
    );
    let (_tx, mut rx) = other.join().unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(rx.read(&mut buf).unwrap(), 1);
}
