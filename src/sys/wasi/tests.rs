//! The `poll_oneoff` selector against a real WASI runtime (`.ci/wasi` runs them under
//! wasmtime, with the host's temporary directory preopened as the guest's `/tmp`). Preview 1
//! cannot make sockets, so regular files stand in for sources: a runtime reports a file ready
//! for reading and writing at once, every time it is polled.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{Event, Selector};
use crate::sys::{EventApi, SelectorApi};
use crate::{Interest, Token};

/// A new empty file in the preopened temporary directory.
fn temp_file() -> File {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // (std has no temporary directory on WASI: the runner preopens one as `/tmp`.)
    let path = std::path::Path::new("/tmp").join(format!("ferrio-wasi-{n}"));
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (is the host's temp dir preopened?)",
                path.display()
            )
        })
}

fn select(selector: &Selector, capacity: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(capacity);
    selector
        .select(&mut events, Some(Duration::from_secs(5)))
        .unwrap();
    events
}

/// (token, readable, writable, error) of each event, sorted.
fn summary(events: &[Event]) -> Vec<(usize, bool, bool, bool)> {
    let mut v: Vec<_> = events
        .iter()
        .map(|e| (e.token().0, e.is_readable(), e.is_writable(), e.is_error()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_timeout_alone_waits_and_reports_nothing() {
    let selector = Selector::new().unwrap();
    let mut events = Vec::with_capacity(4);
    let start = Instant::now();
    selector
        .select(&mut events, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(events.is_empty());
    assert!(
        start.elapsed() >= Duration::from_millis(40),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn nothing_to_wait_for_is_the_runtimes_error() {
    // No subscription at all: `poll_oneoff` refuses the call (EINVAL), and the error is the
    // runtime's, passed through.
    let selector = Selector::new().unwrap();
    let mut events = Vec::with_capacity(4);
    let err = selector.select(&mut events, None).unwrap_err();
    assert!(err.raw_os_error().is_some(), "{err:?}");
}

/// Selects until the events seen (summarised, deduplicated) include all of `want`, failing
/// after 5 s; returns them. A runtime may find a file ready for writing before it has checked
/// it for reading (wasmtime does), so one `select` need not report both at once.
fn select_until(
    selector: &Selector,
    want: &[(usize, bool, bool, bool)],
) -> Vec<(usize, bool, bool, bool)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while !want.iter().all(|w| seen.contains(w)) {
        assert!(Instant::now() < deadline, "saw {seen:?}, want {want:?}");
        for e in summary(&select(selector, 8)) {
            if !seen.contains(&e) {
                seen.push(e);
            }
        }
    }
    seen.sort();
    seen
}

/// The selector's subscriptions: (fd, token, read?) of each, sorted.
fn subscribed(selector: &Selector) -> Vec<(RawFd, u64, bool)> {
    let state = selector.lock();
    let mut v: Vec<_> = state
        .subscriptions
        .iter()
        .map(|s| {
            let fd = super::subscription_fd(s).expect("no clock outside select");
            (fd, s.userdata, s.u.tag == wasi::EVENTTYPE_FD_READ.raw())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_file_is_readable_and_writable_under_its_token() {
    let selector = Selector::new().unwrap();
    let file = temp_file();
    let fd = file.as_raw_fd();
    selector
        .register(fd, Token(7), Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    // Both directions are subscribed, under the token.
    assert_eq!(subscribed(&selector), [(fd, 7, false), (fd, 7, true)]);
    // The runtime reports them under the token. Only the write readiness is waited for here:
    // with both subscribed, wasmtime may answer every select with the write readiness alone
    // (seen under load in CI for 5 s in a row), as a runtime may, since it only has to report
    // some ready subscription.
    let both = [(7, false, true, false), (7, true, false, false)];
    for _ in 0..2 {
        // Level-triggered: nothing is disarmed by being reported, so this holds twice.
        let seen = select_until(&selector, &both[..1]);
        assert!(seen.iter().all(|e| both.contains(e)), "{seen:?}");
    }
    // The read readiness, with only that direction subscribed.
    selector
        .reregister(fd, Token(7), Interest::READABLE)
        .unwrap();
    assert_eq!(subscribed(&selector), [(fd, 7, true)]);
    for _ in 0..2 {
        assert_eq!(select_until(&selector, &both[1..]), both[1..]);
    }
}

#[test]
fn only_the_registered_direction_is_watched() {
    let selector = Selector::new().unwrap();
    let file = temp_file();
    selector
        .register(file.as_raw_fd(), Token(1), Interest::WRITABLE)
        .unwrap();
    assert_eq!(
        select_until(&selector, &[(1, false, true, false)]),
        [(1, false, true, false)]
    );
    selector
        .reregister(file.as_raw_fd(), Token(2), Interest::READABLE)
        .unwrap();
    assert_eq!(
        select_until(&selector, &[(2, true, false, false)]),
        [(2, true, false, false)]
    );
}

#[test]
fn registration_mistakes_are_named() {
    let selector = Selector::new().unwrap();
    let file = temp_file();
    let fd: RawFd = file.as_raw_fd();
    selector.register(fd, Token(1), Interest::READABLE).unwrap();
    let twice = selector.register(fd, Token(1), Interest::READABLE);
    assert_eq!(twice.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
    selector.deregister(fd).unwrap();
    assert_eq!(
        selector.deregister(fd).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    assert_eq!(
        selector
            .reregister(fd, Token(1), Interest::READABLE)
            .unwrap_err()
            .kind(),
        io::ErrorKind::NotFound
    );
}

#[test]
fn events_beyond_the_capacity_wait_for_the_next_select() {
    let selector = Selector::new().unwrap();
    let (a, b) = (temp_file(), temp_file());
    selector
        .register(a.as_raw_fd(), Token(1), Interest::WRITABLE)
        .unwrap();
    selector
        .register(b.as_raw_fd(), Token(2), Interest::WRITABLE)
        .unwrap();
    assert_eq!(select(&selector, 1).len(), 1);
    let both = [(1, false, true, false), (2, false, true, false)];
    assert_eq!(select_until(&selector, &both), both);
}

#[test]
fn clones_share_the_registrations() {
    let selector = Selector::new().unwrap();
    let clone = selector.try_clone().unwrap();
    let file = temp_file();
    clone
        .register(file.as_raw_fd(), Token(3), Interest::WRITABLE)
        .unwrap();
    assert_eq!(summary(&select(&selector, 8)), [(3, false, true, false)]);
    selector.deregister(file.as_raw_fd()).unwrap();
    let mut events = Vec::with_capacity(8);
    clone
        .select(&mut events, Some(Duration::from_millis(1)))
        .unwrap();
    assert!(events.is_empty());
}
