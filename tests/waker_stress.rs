//! Wakers under contention: many threads wake, one poller consumes, and no wake-up may be lost.
//!
//! The epoll Waker skips the eventfd write when a wake-up is already pending (coalescing), so
//! these tests check the promise that makes skipping safe: after any `wake()` returns, a
//! `poll` that returns later reports the Waker's event, and the poller then sees everything the
//! waking thread did before calling `wake()`. A lost wake-up shows as a poll that times out
//! while a waking thread waits for its acknowledgement; every wait is bounded.
// WASI has no Waker (one thread, as in mio).
#![cfg(not(ferrio_no_waker))]
// Needs `os-poll` for `Poll`, and on Unix `os-ext` for the pipes (`os-ext` brings both).
#![cfg(feature = "os-ext")]
mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ferrio::{Events, Poll, Token, Waker};
use util::{poll_retrying, TIMEOUT};

/// One waking thread's counters: `sent` is stored before each `wake()`, `seen` is the value the
/// poller read after a poll that reported a Waker event.
struct Slot {
    sent: AtomicUsize,
    seen: AtomicUsize,
}

/// A small xorshift generator, so burst lengths vary without a dependency.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Runs `threads` waking threads over `wakers` (thread `i` uses `wakers[i % len]`), each doing
/// `wakes` wakes in random bursts and then waiting for the poller to acknowledge the last wake
/// of the burst. `token_of` gives each Waker's token (tokens may repeat).
fn stress(threads: usize, waker_count: usize, wakes: usize, token_of: impl Fn(usize) -> Token) {
    // A tenth under Miri, whose interpreter takes half a minute for the full count.
    let wakes = if cfg!(miri) { wakes / 10 } else { wakes };
    let mut poll = Poll::new().expect("Poll::new");
    let wakers: Vec<Arc<Waker>> = (0..waker_count)
        .map(|i| Arc::new(Waker::new(poll.registry(), token_of(i)).expect("Waker::new")))
        .collect();
    let tokens: Vec<Token> = (0..waker_count).map(&token_of).collect();
    let slots: Arc<Vec<Slot>> = Arc::new(
        (0..threads)
            .map(|_| Slot {
                sent: AtomicUsize::new(0),
                seen: AtomicUsize::new(0),
            })
            .collect(),
    );
    let failed = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(threads + 1));

    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let waker = Arc::clone(&wakers[i % waker_count]);
            let (slots, failed, start) =
                (Arc::clone(&slots), Arc::clone(&failed), Arc::clone(&start));
            thread::spawn(move || {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (i as u64 + 1);
                start.wait();
                let mut k = 0;
                while k < wakes && !failed.load(Ordering::Relaxed) {
                    let burst = 1 + (next_random(&mut rng) % 8) as usize;
                    for _ in 0..burst.min(wakes - k) {
                        k += 1;
                        // Relaxed on purpose: `wake` itself must order this store before the
                        // poller's read of it.
                        slots[i].sent.store(k, Ordering::Relaxed);
                        waker.wake().expect("wake");
                    }
                    // Wait for the poller to acknowledge the burst's last wake. The deadline only
                    // turns a lost wake-up into a failure instead of a hang.
                    let deadline = Instant::now() + TIMEOUT;
                    while slots[i].seen.load(Ordering::Acquire) < k {
                        if failed.load(Ordering::Relaxed) {
                            return;
                        }
                        assert!(
                            Instant::now() < deadline,
                            "thread {i}: wake {k} never acknowledged"
                        );
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let mut events = Events::with_capacity(4);
    start.wait();
    let total = threads * wakes;
    let mut done = false;
    while !done {
        // A wake-up that was lost leaves every waking thread waiting and this poll empty.
        poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        if events.is_empty() {
            failed.store(true, Ordering::Relaxed);
            let state: Vec<(usize, usize)> = slots
                .iter()
                .map(|s| {
                    (
                        s.sent.load(Ordering::Relaxed),
                        s.seen.load(Ordering::Relaxed),
                    )
                })
                .collect();
            for h in handles {
                let _ = h.join();
            }
            panic!(
                "poll timed out after {TIMEOUT:?}: a wake-up was lost; (sent, seen) = {state:?}"
            );
        }
        for event in events.iter() {
            assert!(
                tokens.contains(&event.token()),
                "unexpected token {:?}",
                event.token()
            );
            assert!(event.is_readable(), "Waker event not readable: {event:?}");
        }
        let mut acknowledged = 0;
        for slot in slots.iter() {
            let sent = slot.sent.load(Ordering::Relaxed);
            slot.seen.store(sent, Ordering::Release);
            acknowledged += sent;
        }
        done = acknowledged == total;
    }
    for h in handles {
        h.join().expect("waking thread panicked");
    }
}

#[test]
fn many_threads_one_waker_lose_no_wake_up() {
    stress(6, 1, 3_000, |_| Token(1));
}

#[test]
fn many_wakers_sharing_one_token_lose_no_wake_up() {
    // Tokens are user values and may repeat: a wake-up must never be told apart by its token.
    stress(6, 3, 2_000, |_| Token(7));
}

#[test]
fn many_wakers_with_distinct_tokens_lose_no_wake_up() {
    stress(4, 4, 2_000, Token);
}

/// Several wakes before a poll give at least one event; the next wake after that poll gives a
/// new one (the Waker was re-opened by the poll).
#[test]
fn waker_reopens_after_each_poll() {
    let mut poll = Poll::new().expect("Poll::new");
    let waker = Waker::new(poll.registry(), Token(3)).expect("Waker::new");
    let mut events = Events::with_capacity(8);
    for round in 0..100 {
        for _ in 0..(round % 5 + 1) {
            waker.wake().expect("wake");
        }
        util::expect_events(
            &mut poll,
            &mut events,
            &[util::Expect::new(Token(3), ferrio::Interest::READABLE)],
        );
    }
    // Nothing pending once consumed.
    util::expect_no_events(&mut poll, &mut events, &[Token(3)]);
}

/// A Waker made through a cloned Registry shares the poller's generation: its wake-ups are
/// reported, round after round.
#[test]
fn waker_on_cloned_registry_reopens() {
    let mut poll = Poll::new().expect("Poll::new");
    let registry = poll.registry().try_clone().expect("try_clone");
    let waker = Arc::new(Waker::new(&registry, Token(9)).expect("Waker::new"));
    let mut events = Events::with_capacity(8);
    for _ in 0..50 {
        let remote = Arc::clone(&waker);
        let t = thread::spawn(move || {
            remote.wake().expect("wake");
            remote.wake().expect("wake");
        });
        util::expect_events(
            &mut poll,
            &mut events,
            &[util::Expect::new(Token(9), ferrio::Interest::READABLE)],
        );
        t.join().expect("thread");
    }
}

/// A poll that returns early (timeout, no events) also re-opens the Waker: the next wake is
/// still reported.
#[test]
fn wake_after_empty_poll_is_reported() {
    let mut poll = Poll::new().expect("Poll::new");
    let waker = Waker::new(poll.registry(), Token(4)).expect("Waker::new");
    let mut events = Events::with_capacity(8);
    for _ in 0..20 {
        poll_retrying(&mut poll, &mut events, Some(Duration::ZERO));
        waker.wake().expect("wake");
        util::expect_events(
            &mut poll,
            &mut events,
            &[util::Expect::new(Token(4), ferrio::Interest::READABLE)],
        );
    }
}
