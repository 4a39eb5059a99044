//! The event ports selector, Waker and per-source state, run: on Solaris over the real port,
//! elsewhere over the emulated one (`fake.rs`), which keeps the one-shot associations.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::selector::{IoSourceState, Selector};
use super::waker::Waker;
use crate::sys::{EventApi, IoSourceApi, SelectorApi, WakerApi, Watch};
use crate::{Interest, Token};

/// Bounds every wait of these tests.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long "nothing happens" is watched.
const QUIET: Duration = Duration::from_millis(50);

/// (token, readable, writable) of the events of one `select`.
fn select(selector: &Selector, timeout: Duration) -> Vec<(usize, bool, bool)> {
    let mut events = Vec::with_capacity(16);
    selector.select(&mut events, Some(timeout)).unwrap();
    assert_eq!(events.capacity(), 16, "the buffer never grows");
    events
        .iter()
        .map(|e| (e.token().0, e.is_readable(), e.is_writable()))
        .collect()
}

fn pair(
    selector: &Selector,
    token: usize,
    interests: Interest,
) -> (UnixStream, UnixStream, IoSourceState) {
    let (local, peer) = UnixStream::pair().unwrap();
    local.set_nonblocking(true).unwrap();
    let mut state = IoSourceState::new();
    let watch = Watch {
        token: Token(token),
        interests,
    };
    state.register(selector, local.as_raw_fd(), watch).unwrap();
    (local, peer, state)
}

fn read_all(state: &IoSourceState, stream: &UnixStream) -> io::Error {
    let mut buf = [0u8; 64];
    loop {
        let r = state.do_io(stream.as_raw_fd(), Interest::READABLE, || {
            (&*stream).read(&mut buf)
        });
        if let Err(e) = r {
            return e;
        }
    }
}

#[test]
fn edges_are_emulated_over_one_shot_associations() {
    let selector = Selector::new().unwrap();
    let (local, mut peer, state) = pair(&selector, 3, Interest::READABLE | Interest::WRITABLE);
    // Writable at once; then nothing more (the association is one-shot, and writable was
    // disarmed when reported).
    assert_eq!(select(&selector, TIMEOUT), [(3, false, true)]);
    assert_eq!(select(&selector, QUIET), []);
    // The reading half stayed associated: data is reported once.
    peer.write_all(b"hello").unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(3, true, false)]);
    assert_eq!(select(&selector, QUIET), []);
    // More data without draining: no new event (edge-triggered), until a read returns
    // `WouldBlock`, which re-arms.
    peer.write_all(b"more").unwrap();
    assert_eq!(select(&selector, QUIET), []);
    assert_eq!(read_all(&state, &local).kind(), io::ErrorKind::WouldBlock);
    assert_eq!(select(&selector, QUIET), []);
    peer.write_all(b"again").unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(3, true, false)]);
    // A second `WouldBlock` in a row finds the direction armed: nothing changes.
    assert_eq!(read_all(&state, &local).kind(), io::ErrorKind::WouldBlock);
    assert_eq!(read_all(&state, &local).kind(), io::ErrorKind::WouldBlock);
    peer.write_all(b"x").unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(3, true, false)]);
    // The peer goes away: a hang-up, reported once.
    assert_eq!(read_all(&state, &local).kind(), io::ErrorKind::WouldBlock);
    drop(peer);
    let mut events = Vec::with_capacity(4);
    selector.select(&mut events, Some(TIMEOUT)).unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].is_read_closed());
    assert_eq!(select(&selector, QUIET), []);
}

#[test]
fn reregister_and_deregister() {
    let selector = Selector::new().unwrap();
    let (local, mut peer, mut state) = pair(&selector, 1, Interest::READABLE);
    let fd = local.as_raw_fd();
    let watch = |token, interests| Watch {
        token: Token(token),
        interests,
    };
    state
        .reregister(&selector, fd, watch(2, Interest::WRITABLE))
        .unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(2, false, true)]);
    // Reregistering arms everything again.
    state
        .reregister(&selector, fd, watch(4, Interest::WRITABLE))
        .unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(4, false, true)]);
    state.deregister(&selector, fd).unwrap();
    peer.write_all(b"x").unwrap();
    assert_eq!(select(&selector, QUIET), []);
    let e = state.deregister(&selector, fd).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    // Registered again, under a new token, with data already waiting: reported.
    state
        .register(&selector, fd, watch(5, Interest::READABLE))
        .unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(5, true, false)]);
    let e = state
        .register(&selector, fd, watch(6, Interest::READABLE))
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
}

#[test]
fn a_closed_fd_s_number_can_be_registered_again() {
    // Through the selector, as `SourceFd` does: the fd is closed without deregistering.
    let selector = Selector::new().unwrap();
    let (a, _a_peer) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    selector.register(fd, Token(1), Interest::READABLE).unwrap();
    drop(a);
    let (b, mut b_peer) = UnixStream::pair().unwrap();
    // The lowest free number is usually the one just closed (other test threads may take it
    // first; then this registers a number that was free, which proves less but never fails;
    // `table.rs` tests the stale entry itself).
    let fd = b.as_raw_fd();
    selector.register(fd, Token(2), Interest::READABLE).unwrap();
    b_peer.write_all(b"x").unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(2, true, false)]);
    selector.deregister(fd).unwrap();
    drop(b);
}

#[test]
fn wakers_coalesce_and_report_their_token() {
    let selector = Selector::new().unwrap();
    let waker = Waker::new(&selector, Token(usize::MAX)).unwrap();
    for _ in 0..100 {
        waker.wake().unwrap();
    }
    // One event for all of them: the flag held every wake after the first.
    assert_eq!(select(&selector, TIMEOUT), [(usize::MAX, true, false)]);
    assert_eq!(select(&selector, QUIET), []);
    // Fetched, so the next wake sends again.
    waker.wake().unwrap();
    assert_eq!(select(&selector, TIMEOUT), [(usize::MAX, true, false)]);
    // A Waker dropped with its event in the port: nothing is reported, and the wait goes on
    // to the end of the timeout.
    let other = Waker::new(&selector, Token(9)).unwrap();
    other.wake().unwrap();
    drop(other);
    let start = Instant::now();
    assert_eq!(select(&selector, QUIET), []);
    assert!(start.elapsed() >= QUIET);
}

#[test]
fn a_wake_from_another_thread_ends_a_wait() {
    let selector = Selector::new().unwrap();
    let waker = Waker::new(&selector, Token(7)).unwrap();
    let start = Instant::now();
    std::thread::scope(|s| {
        // Whether the wake comes before the wait or during it, the wait ends.
        s.spawn(|| waker.wake().unwrap());
        let mut events = Vec::with_capacity(4);
        selector.select(&mut events, None).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].token(), Token(7));
    });
    assert!(start.elapsed() < TIMEOUT);
}

#[test]
fn registry_clones_share_the_port() {
    let selector = Selector::new().unwrap();
    let clone = selector.try_clone().unwrap();
    assert_ne!(
        selector.as_raw_fd(),
        clone.as_raw_fd(),
        "each has its own fd"
    );
    let (_local, _peer, _state) = pair(&clone, 8, Interest::WRITABLE);
    assert_eq!(select(&selector, TIMEOUT), [(8, false, true)]);
    // A zero timeout returns at once.
    let start = Instant::now();
    assert_eq!(select(&selector, Duration::ZERO), []);
    assert!(start.elapsed() < TIMEOUT);
}
