//! Bounded helpers shared by the integration tests. Every wait in the suite goes through
//! [`TIMEOUT`] (or a shorter explicit quiet period), so a broken build fails fast instead of
//! hanging.
#![allow(dead_code, unused_macros)]

use std::io;
use std::time::{Duration, Instant};

use ferrio::event::Event;
use ferrio::{Events, Interest, Poll, Token};

/// The longest any single expected event may take to arrive.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long "nothing happens" is watched for.
pub const QUIET: Duration = Duration::from_millis(100);

/// What an expected event must show.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub token: Token,
    pub interests: Interest,
}

impl Expect {
    pub const fn new(token: Token, interests: Interest) -> Expect {
        Expect { token, interests }
    }

    fn matches(&self, event: &Event) -> bool {
        event.token() == self.token
            && (!self.interests.is_readable() || event.is_readable())
            && (!self.interests.is_writable() || event.is_writable())
    }
}

/// Polls until every expected event has been seen (in any order, possibly across several
/// polls), or panics after [`TIMEOUT`]. Returns every event seen, for further checks.
#[track_caller]
pub fn expect_events(poll: &mut Poll, events: &mut Events, expected: &[Expect]) -> Vec<Seen> {
    let deadline = Instant::now() + TIMEOUT;
    let mut missing: Vec<Expect> = expected.to_vec();
    let mut seen = Vec::new();
    while !missing.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!("timed out after {TIMEOUT:?} waiting for {missing:?}; saw {seen:?}");
        }
        poll_retrying(poll, events, Some(left));
        for event in events.iter() {
            seen.push(Seen::from(event));
            missing.retain(|e| !e.matches(event));
        }
    }
    seen
}

/// Polls for [`QUIET`] and panics if any event arrives for one of `tokens` (any token if
/// `tokens` is empty).
#[track_caller]
pub fn expect_no_events(poll: &mut Poll, events: &mut Events, tokens: &[Token]) {
    let deadline = Instant::now() + QUIET;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        poll_retrying(poll, events, Some(left));
        for event in events.iter() {
            if tokens.is_empty() || tokens.contains(&event.token()) {
                panic!("expected no events, got {event:?}");
            }
        }
    }
}

/// One poll call, repeated if a signal interrupts it.
#[track_caller]
pub fn poll_retrying(poll: &mut Poll, events: &mut Events, timeout: Option<Duration>) {
    loop {
        match poll.poll(events, timeout) {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("poll failed: {e}"),
        }
    }
}

/// Retries `op` until it stops returning `WouldBlock`, polling in between; panics after
/// [`TIMEOUT`].
#[track_caller]
pub fn until_ready<T>(
    poll: &mut Poll,
    events: &mut Events,
    mut op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!("operation still WouldBlock after {TIMEOUT:?}");
        }
        poll_retrying(poll, events, Some(left.min(Duration::from_millis(50))));
    }
}

/// An owned copy of what an event said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub token: Token,
    pub readable: bool,
    pub writable: bool,
    pub error: bool,
    pub read_closed: bool,
    pub write_closed: bool,
}

impl From<&Event> for Seen {
    fn from(e: &Event) -> Seen {
        Seen {
            token: e.token(),
            readable: e.is_readable(),
            writable: e.is_writable(),
            error: e.is_error(),
            read_closed: e.is_read_closed(),
            write_closed: e.is_write_closed(),
        }
    }
}

/// Asserts at compile time that `T` is `Send + Sync`.
pub fn assert_send_sync<T: Send + Sync>() {}

/// The number of open fds of this process (Linux: entries of /proc/self/fd).
#[cfg(target_os = "linux")]
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Runs the test function named `name` of the current test binary in a child process, with
/// `FERRIO_CHILD=1` in its environment, and asserts that it succeeded. Tests that change
/// process-wide state (signal dispositions, fd limits) run their body only in the child:
///
/// ```ignore
/// #[test]
/// fn changes_rlimit() {
///     if !util::in_child() { return util::run_in_child("changes_rlimit"); }
///     // ... body ...
/// }
/// ```
#[track_caller]
pub fn run_in_child(name: &str) {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("FERRIO_CHILD", "1")
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn child test");
    let deadline = Instant::now() + TIMEOUT * 3;
    loop {
        if let Some(status) = child.try_wait().expect("wait child") {
            assert!(status.success(), "child test {name} failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child test {name} timed out");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether this process is the child started by [`run_in_child`].
pub fn in_child() -> bool {
    std::env::var_os("FERRIO_CHILD").is_some()
}
