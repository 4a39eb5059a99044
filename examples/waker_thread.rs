//! Wakers: other threads interrupting an event loop's `poll`.
//!
//! ```text
//! cargo run --release --example waker_thread
//! ```
//!
//! Four worker threads count the primes below 2,000,000, each in a range of its own,
//! and report to the event loop as they go. A report is a message in a channel followed by a
//! `wake`: the Waker carries no data, and several wakes may arrive as one event, so on every
//! Waker event the loop takes *everything* from the channel. The loop prints the progress,
//! checks the total when all workers are done, and exits. It also prints how many wake-up
//! events carried how many messages, which shows the coalescing.
//!
//! A second Waker, with a token of its own, belongs to a watchdog thread that fires if the
//! work takes more than 30 seconds, so the example always ends. ferrio allows any number of
//! Wakers per `Poll`; mio allows one, so code that must also build against mio would share
//! one Waker and tell the reasons apart in the channel.

// WASI has no Waker and no threads (as in mio): there the example only says so.
#![cfg_attr(ferrio_no_waker, allow(dead_code, unused_imports))]

#[cfg(ferrio_no_waker)]
fn main() {
    println!("waker_thread: this target has no Waker (WASI runs one thread)");
}

use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[cfg(not(ferrio_no_waker))]
use ferrio::Waker;
use ferrio::{Events, Poll, Token};

const WORKERS: Token = Token(0);
const WATCHDOG: Token = Token(1);

const LIMIT: u64 = 2_000_000;
/// The number of primes below `LIMIT`.
const EXPECTED: u64 = 148_933;
const THREADS: u64 = 4;
/// A worker reports after each chunk of this many numbers.
const CHUNK: u64 = 50_000;
const PATIENCE: Duration = Duration::from_secs(30);

/// What a worker tells the event loop.
enum Report {
    /// A worker has checked `checked` more numbers.
    Progress { checked: u64 },
    /// Worker `worker` is finished and found `primes` primes.
    Done { worker: u64, primes: u64 },
}

fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n % 2 == 0 {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 2;
    }
    true
}

/// Worker `worker` checks its share of the numbers below `LIMIT`, one contiguous range,
/// reporting after each chunk.
#[cfg(not(ferrio_no_waker))]
fn work(worker: u64, reports: mpsc::Sender<Report>, waker: Arc<Waker>) {
    let mut primes = 0;
    let mut checked = 0;
    for n in worker * LIMIT / THREADS..(worker + 1) * LIMIT / THREADS {
        if is_prime(n) {
            primes += 1;
        }
        checked += 1;
        if checked == CHUNK {
            // The message first, then the wake-up: the other order could let the loop look
            // at the channel before the message is in it, and no later event would bring it
            // back.
            let _ = reports.send(Report::Progress { checked });
            waker.wake().expect("wake the event loop");
            checked = 0;
        }
    }
    let _ = reports.send(Report::Progress { checked });
    let _ = reports.send(Report::Done { worker, primes });
    waker.wake().expect("wake the event loop");
}

#[cfg(not(ferrio_no_waker))]
fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("waker_thread: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(ferrio_no_waker))]
fn run() -> std::io::Result<bool> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);

    // One Waker for all workers; `Arc` shares it between threads (a Waker is Send + Sync).
    let waker = Arc::new(Waker::new(poll.registry(), WORKERS)?);
    let (report_tx, reports) = mpsc::channel();
    let start = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|worker| {
            let (tx, waker) = (report_tx.clone(), Arc::clone(&waker));
            thread::spawn(move || work(worker, tx, waker))
        })
        .collect();
    drop(report_tx);

    // The watchdog: wakes its own Waker unless it is told to stop (by dropping `stop`) first.
    let watchdog_waker = Waker::new(poll.registry(), WATCHDOG)?;
    let (stop, stopped) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PATIENCE) {
            watchdog_waker.wake().expect("wake the event loop");
        }
    });

    let mut checked = 0;
    let mut last_shown = 0;
    let mut primes = 0;
    let mut done = 0;
    let (mut wake_events, mut messages) = (0, 0);
    let mut timed_out = false;

    while done < THREADS && !timed_out {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in events.iter() {
            match event.token() {
                WORKERS => {
                    wake_events += 1;
                    // Take everything: this one event may stand for many wakes.
                    for report in reports.try_iter() {
                        messages += 1;
                        match report {
                            Report::Progress { checked: n } => checked += n,
                            Report::Done { worker, primes: p } => {
                                println!("waker_thread: worker {worker} found {p} primes");
                                primes += p;
                                done += 1;
                            }
                        }
                    }
                    if checked - last_shown >= LIMIT / 4 {
                        println!("waker_thread: {:3}% checked", checked * 100 / LIMIT);
                        last_shown = checked;
                    }
                }
                WATCHDOG => timed_out = true,
                _ => unreachable!("no other token was registered"),
            }
        }
    }

    drop(stop);
    watchdog.join().expect("watchdog thread panicked");
    if timed_out {
        eprintln!("waker_thread: the workers took longer than {PATIENCE:?}");
        return Ok(false);
    }
    for worker in workers {
        worker.join().expect("worker thread panicked");
    }
    println!(
        "waker_thread: {primes} primes below {LIMIT} in {:.0?}; {messages} messages arrived \
         with {wake_events} wake-up events",
        start.elapsed()
    );
    if primes != EXPECTED {
        eprintln!("waker_thread: expected {EXPECTED} primes");
        return Ok(false);
    }
    Ok(true)
}
