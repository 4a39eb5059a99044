//! The targets of issue 16 (timers, signals, child exits, sub-millisecond timeouts), measured
//! on this machine; prints a Markdown table for BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p ferrio-bench --bin sources            # about 10 s
//! strace -f -e trace=epoll_wait,epoll_pwait2 -c target/release/sources --only timeouts
//! ```
//!
//! * `poll(Some(100 µs))` on an idle poller: how late it returns (median, 99th percentile).
//! * A 100 µs one-shot `Timer`: how late its event arrives after the deadline.
//! * 1000 children exiting: how many events their `ChildExit`s produce (the target is exactly
//!   1000, with no sweep over all children per event).
//! * Heap allocations per timer expiry, signal delivery and child exit once registered
//!   (counted by a counting global allocator on this thread; the target is 0).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrio::sources::{ChildExit, Signals, Timer};
use ferrio::{Events, Interest, Poll, Token};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call goes to `System` unchanged; the counter is bookkeeping on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's promises about `layout` are passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: `ptr` came from `System` with `layout`; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// (median, 99th percentile) of `samples`, in microseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

fn poll_timeouts(rounds: usize) -> io::Result<(f64, f64)> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let timeout = Duration::from_micros(100);
    let mut late = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        poll.poll(&mut events, Some(timeout))?;
        late.push(start.elapsed().saturating_sub(timeout));
    }
    Ok(percentiles(&mut late))
}

fn timer_lateness(rounds: usize) -> io::Result<((f64, f64), f64)> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let mut timer = Timer::new()?;
    poll.registry()
        .register(&mut timer, Token(0), Interest::READABLE)?;
    let delay = Duration::from_micros(100);
    let mut late = Vec::with_capacity(rounds);
    let mut allocations = 0;
    for round in 0..rounds {
        let start = Instant::now();
        let before = allocs();
        timer.set_oneshot(delay)?;
        loop {
            poll.poll(&mut events, None)?;
            if events.iter().any(|e| e.token() == Token(0)) && timer.expirations().is_ok() {
                break;
            }
        }
        let elapsed = start.elapsed();
        if round > 0 {
            allocations += allocs() - before;
        }
        late.push(elapsed.saturating_sub(delay));
    }
    Ok((
        percentiles(&mut late),
        allocations as f64 / (rounds - 1) as f64,
    ))
}

fn signal_allocations(rounds: usize) -> io::Result<f64> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let mut signals = Signals::new(&[libc::SIGUSR1])?;
    poll.registry()
        .register(&mut signals, Token(0), Interest::READABLE)?;
    let before = allocs();
    for _ in 0..rounds {
        // SAFETY: raise takes no pointers.
        unsafe { libc::raise(libc::SIGUSR1) };
        loop {
            poll.poll(&mut events, None)?;
            if signals.received().is_ok() {
                break;
            }
        }
    }
    Ok((allocs() - before) as f64 / rounds as f64)
}

/// Spawns `n` children that exit at once, watches them all, and counts the events until
/// every one has been seen to exit. Returns (events, allocations per exit, seconds).
fn children(n: usize) -> io::Result<(usize, f64, f64)> {
    raise_fd_limit();
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(256);
    // Each child waits for its stdin to close, so that all are watched before any exits.
    let mut kids: Vec<Child> = Vec::with_capacity(n);
    let mut exits = Vec::with_capacity(n);
    for i in 0..n {
        let child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        let mut exit = ChildExit::new(&child)?;
        poll.registry()
            .register(&mut exit, Token(i), Interest::READABLE)?;
        kids.push(child);
        exits.push(exit);
    }
    let mut stdins: Vec<_> = kids.iter_mut().map(|c| c.stdin.take()).collect();
    let mut done = vec![false; n];
    let mut left = n;
    let mut seen = 0;
    let start = Instant::now();
    let before = allocs();
    stdins.clear();
    while left > 0 {
        poll.poll(&mut events, Some(Duration::from_secs(10)))?;
        if events.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "children never exited",
            ));
        }
        for event in events.iter() {
            seen += 1;
            let i = event.token().0;
            if !done[i] && exits[i].exited().is_ok() {
                done[i] = true;
                left -= 1;
            }
        }
    }
    let allocations = allocs() - before;
    let secs = start.elapsed().as_secs_f64();
    drop(exits);
    for mut child in kids {
        child.wait()?;
    }
    Ok((seen, allocations as f64 / n as f64, secs))
}

fn raise_fd_limit() {
    // SAFETY: `limit` is a live rlimit for the calls to read and write.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn main() -> io::Result<()> {
    let only = std::env::args().skip_while(|a| a != "--only").nth(1);
    let run = |name: &str| only.as_deref().map_or(true, |o| o == name);
    println!("| measure | median | p99 | target |");
    println!("|---|---|---|---|");
    if run("timeouts") {
        let (median, p99) = poll_timeouts(2000)?;
        println!("| `poll(Some(100 µs))`, µs late | {median:.0} | {p99:.0} | ≤ 50 / ≤ 200 |");
        // The kernel lets a thread's sleeps end up to its timer slack late (50 µs by
        // default); a program that wants less says so with PR_SET_TIMERSLACK.
        // SAFETY: PR_SET_TIMERSLACK takes an integer and no pointer.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
        let (median, p99) = poll_timeouts(2000)?;
        println!(
            "| `poll(Some(100 µs))`, µs late, timer slack 1 ns | {median:.0} | {p99:.0} | ≤ 50 / ≤ 200 |"
        );
        // SAFETY: as above; 0 restores the default slack.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 0 as libc::c_ulong) };
    }
    if run("timers") {
        let ((median, p99), allocations) = timer_lateness(2000)?;
        println!("| 100 µs one-shot `Timer`, µs late | {median:.0} | {p99:.0} | ≤ 50 / ≤ 200 |");
        println!("| allocations per timer expiry (set, poll, read) | {allocations:.2} | | 0 |");
    }
    if run("signals") {
        let allocations = signal_allocations(1000)?;
        println!(
            "| allocations per signal delivery (raise, poll, read) | {allocations:.2} | | 0 |"
        );
    }
    if run("children") {
        let (seen, allocations, secs) = children(1000)?;
        println!(
            "| 1000 children exiting: events / allocations per exit / seconds | {seen} / {allocations:.2} / {secs:.2} | | 1000 / 0 |"
        );
    }
    Ok(())
}
