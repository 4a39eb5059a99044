//! Bounded helpers shared by the integration tests. Every wait in the suite goes through
//! [`TIMEOUT`] (or a shorter explicit quiet period), so a broken build fails fast instead of
//! hanging.
#![allow(dead_code, unused_macros)]

use std::io;
use std::time::{Duration, Instant};

use ferrio::event::Event;
use ferrio::{Events, Interest, Poll, Token};

/// The longest any single expected event may take to arrive. Miri runs the suite a hundred
/// times slower, against the wall clock (its network emulation needs host time).
pub const TIMEOUT: Duration = Duration::from_secs(if cfg!(miri) { 60 } else { 10 });

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

/// Sets `O_NONBLOCK` with fcntl, as ferrio does. (std's `set_nonblocking` on sockets uses the
/// `FIONBIO` ioctl, which Miri does not emulate.)
#[cfg(unix)]
pub fn set_nonblocking(fd: &impl std::os::fd::AsRawFd) {
    let fd = fd.as_raw_fd();
    // SAFETY: F_GETFL takes no argument; `fd` is open while borrowed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0, "F_GETFL: {}", io::Error::last_os_error());
    // SAFETY: F_SETFL takes an integer, no pointer; `fd` is open while borrowed.
    let rc = unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) };
    assert_eq!(rc, 0, "F_SETFL: {}", io::Error::last_os_error());
}

/// Runs the test function named `name` of the current test binary in a child process, with
/// `FERRIO_CHILD=1` in its environment, and asserts that it ran exactly that one test and that
/// it passed. Tests that change process-wide state (signal dispositions, fd limits) run their
/// body only in the child:
///
/// ```ignore
/// #[test]
/// fn changes_rlimit() {
///     if !util::in_child() { return util::run_in_child("changes_rlimit"); }
///     // ... body ...
/// }
/// ```
///
/// The child gets `3 * TIMEOUT`; past that it is killed and the test fails. Its output is
/// captured and shown when it fails.
#[track_caller]
pub fn run_in_child(name: &str) {
    use std::process::{Command, Stdio};

    let exe = std::env::current_exe().expect("current_exe");
    let child = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("FERRIO_CHILD", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child test");
    let pid = child.id();
    // A thread waits for the child (and collects its output) so that this one can wait for
    // it with a deadline.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(TIMEOUT * 3) {
        Ok(output) => output,
        Err(_) => {
            kill_child(pid);
            let _ = rx.recv_timeout(TIMEOUT);
            panic!(
                "child test {name} timed out after {:?} and was killed",
                TIMEOUT * 3
            );
        }
    };
    waiter.join().expect("child waiter thread");
    let output = output.expect("wait for child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child test {name} failed: {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    // A misspelt name runs no test at all and "succeeds": make that an error.
    assert!(
        stdout.contains("1 passed"),
        "child did not run exactly the test {name}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

/// Kills a child process that overran its time (it has not been reaped yet, so `pid` is still
/// its own). Unix only: elsewhere the overrunning child is left to the CI step's time limit.
#[cfg(unix)]
fn kill_child(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill takes no pointers; `pid` is our unreaped child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

#[cfg(not(unix))]
fn kill_child(_pid: u32) {}

/// Whether this process is the child started by [`run_in_child`].
pub fn in_child() -> bool {
    std::env::var_os("FERRIO_CHILD").is_some()
}

/// Polls until an event satisfying `pred` arrives and returns it (owned), or panics after
/// [`TIMEOUT`] naming `what`. Other events are ignored.
#[track_caller]
pub fn expect_event_where(
    poll: &mut Poll,
    events: &mut Events,
    what: &str,
    mut pred: impl FnMut(&Event) -> bool,
) -> Seen {
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!("timed out after {TIMEOUT:?} waiting for {what}; saw {seen:?}");
        }
        poll_retrying(poll, events, Some(left));
        for event in events.iter() {
            if pred(event) {
                return Seen::from(event);
            }
            seen.push(Seen::from(event));
        }
    }
}

/// The kernel's id of the calling thread, for [`wait_until_blocked`].
pub fn thread_id() -> u64 {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        // SAFETY: the gettid system call takes no arguments and cannot fail.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) };
        tid as u64
    }
    #[cfg(any(not(target_os = "linux"), miri))]
    {
        0
    }
}

/// Waits (at most [`TIMEOUT`]) until the thread `tid` of this process is asleep, which for a
/// thread that announced it is about to call `poll` means it is blocked inside it. Where the
/// kernel does not say (not Linux, or under Miri, whose threads are not the kernel's), waits a
/// fixed 100 ms instead; tests that use this stay correct either way, they only test a weaker
/// interleaving.
pub fn wait_until_blocked(tid: u64) {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        let path = format!("/proc/self/task/{tid}/stat");
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            let stat = match std::fs::read_to_string(&path) {
                Ok(stat) => stat,
                Err(_) => break,
            };
            // The state is the first field after the command name, which is in parentheses
            // and may itself contain spaces or parentheses.
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().next());
            if state == Some("S") {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("thread {tid} did not block within {TIMEOUT:?}");
    }
    #[cfg(any(not(target_os = "linux"), miri))]
    {
        let _ = tid;
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A one-way channel: bytes written to the first end make the second readable. A pipe.
#[cfg(all(unix, feature = "os-ext"))]
pub fn channel() -> (ferrio::unix::pipe::Sender, ferrio::unix::pipe::Receiver) {
    ferrio::unix::pipe::new().unwrap()
}

/// A one-way channel: bytes written to the first end make the second readable. A loopback
/// TCP connection (both ends non-blocking), as Windows has no ferrio pipes.
#[cfg(all(windows, feature = "net"))]
pub fn channel() -> (ferrio::net::TcpStream, ferrio::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tx = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (rx, _) = listener.accept().unwrap();
    tx.set_nonblocking(true).unwrap();
    rx.set_nonblocking(true).unwrap();
    (
        ferrio::net::TcpStream::from_std(tx),
        ferrio::net::TcpStream::from_std(rx),
    )
}
