//! Unit tests of the poll(2) selector that need its internals: the revents decoding, the
//! internal wake-ups, and failure injection into the notifier.

use super::*;
use crate::sys::failpoints::Plan;
use crate::sys::WakerApi;
use crate::sys::{IoSourceApi, Watch};

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::thread;

/// Bounds every wait of these tests.
const TIMEOUT: Duration = Duration::from_secs(10);

fn event(revents: PollBits) -> Event {
    Event {
        token: Token(usize::MAX),
        revents,
    }
}

#[test]
fn revents_decoding() {
    use libc::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI};
    let e = event(POLLIN);
    assert!(e.is_readable() && !e.is_writable() && !e.is_read_closed() && !e.is_priority());
    assert_eq!(e.token(), Token(usize::MAX));
    let e = event(POLLPRI);
    assert!(e.is_readable() && e.is_priority());
    let e = event(POLLOUT);
    assert!(e.is_writable() && !e.is_readable() && !e.is_write_closed());
    let e = event(POLLHUP);
    assert!(e.is_read_closed() && e.is_write_closed() && !e.is_error());
    let e = event(POLLERR);
    assert!(e.is_error() && e.is_write_closed() && !e.is_read_closed());
    let e = event(POLLOUT | POLLERR);
    assert!(e.is_write_closed() && e.is_writable());
    let e = event(POLLIN | POLLERR);
    assert!(!e.is_write_closed());
    #[cfg(ferrio_pollrdhup)]
    {
        use crate::sys::unix::edge::POLLRDHUP;
        assert!(event(POLLIN | POLLRDHUP).is_read_closed());
        assert!(!event(POLLRDHUP).is_read_closed());
    }
    assert!(!event(POLLIN).is_aio() && !event(POLLIN).is_lio());
}

#[test]
fn remaining_time() {
    assert_eq!(remaining_ms(None, None), Some(-1));
    assert_eq!(remaining_ms(Some(Duration::ZERO), None), None);
    assert_eq!(
        remaining_ms(Some(Duration::MAX), None),
        Some(MAX_TIMEOUT_MS)
    );
    let now = Instant::now();
    assert_eq!(remaining_ms(Some(Duration::from_secs(1)), Some(now)), None);
    let later = now + Duration::from_secs(100);
    let left = remaining_ms(Some(Duration::from_secs(100)), Some(later)).unwrap();
    assert!(left > 90_000 && left <= 100_000, "{left}");
}

#[test]
fn send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Selector>();
    check::<Event>();
    check::<IoSourceState>();
    check::<Waker>();
}

#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate poll(2)")]
fn select_with_waker_and_internal_wakes() {
    let selector = Selector::new().unwrap();
    let waker = Waker::new(&selector, Token(7)).unwrap();
    let mut events = Vec::with_capacity(4);
    selector.select(&mut events, Some(Duration::ZERO)).unwrap();
    assert!(events.is_empty());
    // A modification while nobody polls leaves no pending internal wake-up.
    selector.shared.wake_and_lock(|_| ()).unwrap();
    let mut byte = [0u8; 8];
    // SAFETY: reading into a live 8-byte buffer from the (non-blocking) notifier fd.
    let n = unsafe { libc::read(selector.shared.notifier.fd(), byte.as_mut_ptr().cast(), 8) };
    assert_eq!(n, -1, "no wake-up was sent");
    waker.wake().unwrap();
    waker.wake().unwrap();
    selector
        .select(&mut events, Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].is_readable() && events[0].token() == Token(7));
    // Drained: no second report.
    selector.select(&mut events, Some(Duration::ZERO)).unwrap();
    assert!(events.is_empty());
    // A stale internal wake-up is absorbed without returning early.
    selector.shared.notifier.notify().unwrap();
    let start = Instant::now();
    selector
        .select(&mut events, Some(Duration::from_millis(30)))
        .unwrap();
    assert!(events.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(30));
    drop(waker);
    assert_eq!(selector.shared.lock().pollfds_mut().len(), 1);
}

#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate poll(2)")]
fn poisoned_lock_is_recovered() {
    let selector = Selector::new().unwrap();
    let clone = selector.try_clone().unwrap();
    let result = std::thread::spawn(move || {
        let _table = clone.shared.lock();
        panic!("poisoning the table lock on purpose");
    })
    .join();
    assert!(result.is_err());
    assert!(selector.shared.table.is_poisoned());
    let waker = Waker::new(&selector, Token(1)).unwrap();
    waker.wake().unwrap();
    let mut events = Vec::with_capacity(2);
    selector
        .select(&mut events, Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(events.len(), 1);
}

/// The token of the Waker that stops a poller thread.
const STOP: Token = Token(99);

/// A selector, and the Waker that stops its poller thread.
fn selector_and_stop_waker() -> (Selector, Waker) {
    let selector = Selector::new().unwrap();
    let waker = Waker::new(&selector, STOP).unwrap();
    (selector, waker)
}

/// A thread polling `selector` with no timeout, sending every event's token, until it sees
/// `stop` (a Waker's token).
fn spawn_poller(
    selector: &Selector,
    stop: Token,
) -> (mpsc::Receiver<Token>, thread::JoinHandle<()>) {
    let poller = selector.try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let mut events = Vec::with_capacity(8);
        loop {
            poller.select(&mut events, None).unwrap();
            for e in &events {
                if e.token() == stop {
                    return;
                }
                tx.send(e.token()).unwrap();
            }
        }
    });
    (rx, handle)
}

/// Waits until the poller thread is in (or entering) poll(2) with no timeout.
fn wait_until_polling(selector: &Selector) {
    let deadline = Instant::now() + TIMEOUT;
    while !selector.shared.polling.load(SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the poller never started polling"
        );
        thread::yield_now();
    }
}

/// Wakes the poller thread with its stop Waker and waits (bounded) for it to end.
fn stop_poller(waker: &Waker, events: &mpsc::Receiver<Token>, poller: thread::JoinHandle<()>) {
    waker.wake().unwrap();
    // The poller's sender goes away when it returns.
    match events.recv_timeout(TIMEOUT) {
        Ok(token) => panic!("unexpected event for {token:?}"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the poller did not stop"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {}
    }
    poller.join().unwrap();
}

fn wakes(selector: &Selector) -> usize {
    selector.shared.wakes.load(SeqCst)
}

/// A non-blocking socket pair whose first end is registered READABLE under `token`, with its
/// source state.
fn registered_pair(selector: &Selector, token: Token) -> (UnixStream, UnixStream, IoSourceState) {
    let (local, peer) = UnixStream::pair().unwrap();
    local.set_nonblocking(true).unwrap();
    let mut state = IoSourceState::new();
    state
        .register(
            selector,
            local.as_raw_fd(),
            watch(token, Interest::READABLE),
        )
        .expect("register a socket pair's end");
    (local, peer, state)
}

/// A read on `stream` through `state`, as ferrio's own types do it.
fn read_op(state: &IoSourceState, stream: &UnixStream) -> io::Result<usize> {
    let mut buf = [0u8; 64];
    state.do_io(stream.as_raw_fd(), Interest::READABLE, || {
        (&*stream).read(&mut buf)
    })
}

/// Issue 13, item 10: `WouldBlock` on a direction that is still armed must not wake a poller
/// blocked in poll(2); a direction that was disarmed (reported) costs one wake-up to re-arm.
#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate poll(2)")]
fn rearming_an_armed_direction_does_not_wake_the_poller() {
    let (selector, waker) = selector_and_stop_waker();
    let (local, mut peer, state) = registered_pair(&selector, Token(1));
    let (events, poller) = spawn_poller(&selector, STOP);
    wait_until_polling(&selector);

    // Armed since registration: 1000 blocked reads change nothing and wake nobody.
    let before = wakes(&selector);
    for _ in 0..1000 {
        let err = read_op(&state, &local).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
    assert_eq!(
        wakes(&selector) - before,
        0,
        "re-arms of an armed source woke the poller"
    );

    // Reported, so disarmed: the first blocked read re-arms it (one wake-up), later ones not.
    peer.write_all(b"x").unwrap();
    assert_eq!(events.recv_timeout(TIMEOUT), Ok(Token(1)));
    wait_until_polling(&selector);
    assert_eq!(read_op(&state, &local).unwrap(), 1);
    let before = wakes(&selector);
    for _ in 0..1000 {
        let err = read_op(&state, &local).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
    assert_eq!(wakes(&selector) - before, 1);

    // And the re-arm took effect.
    peer.write_all(b"y").unwrap();
    assert_eq!(events.recv_timeout(TIMEOUT), Ok(Token(1)));
    stop_poller(&waker, &events, poller);
}

/// Issue 13, item 11: a modifier that cannot wake a poller blocked in poll(2) with no timeout
/// gets the error back, with nothing changed, instead of waiting for the lock forever.
#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate poll(2)")]
fn failed_wake_returns_the_error_and_changes_nothing() {
    let (selector, waker) = selector_and_stop_waker();
    let (local, mut peer) = UnixStream::pair().unwrap();
    local.set_nonblocking(true).unwrap();
    peer.write_all(b"x").unwrap();
    let (events, poller) = spawn_poller(&selector, STOP);
    wait_until_polling(&selector);

    // Registration: done on another thread, so that a hang fails the test instead of hanging.
    let fd = local.as_raw_fd();
    let registry = selector.try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    let registering = thread::spawn(move || {
        Plan::new("notify_write", libc::ENOSPC).arm();
        let mut state = IoSourceState::new();
        let result = state.register(&registry, fd, watch(Token(1), Interest::READABLE));
        tx.send(result.map_err(|e| e.raw_os_error())).unwrap();
        state
    });
    let result = rx
        .recv_timeout(TIMEOUT)
        .expect("the registration hung on a failed wake-up");
    assert_eq!(result, Err(Some(libc::ENOSPC)));
    let mut state = registering.join().unwrap();
    // Nothing was registered: the readable fd reports nothing, and registering works now.
    assert!(events.recv_timeout(Duration::from_millis(50)).is_err());
    state
        .register(&selector, fd, watch(Token(1), Interest::READABLE))
        .unwrap();
    assert_eq!(events.recv_timeout(TIMEOUT), Ok(Token(1)));
    wait_until_polling(&selector);

    // A re-arm after `WouldBlock` that cannot be made returns its error instead: a
    // `WouldBlock` would promise an event that never comes.
    assert_eq!(read_op(&state, &local).unwrap(), 1);
    Plan::new("notify_write", libc::ENOSPC).arm();
    let err = read_op(&state, &local).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
    let err = read_op(&state, &local).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    peer.write_all(b"y").unwrap();
    assert_eq!(events.recv_timeout(TIMEOUT), Ok(Token(1)));

    stop_poller(&waker, &events, poller);
    drop(state);
    assert_eq!(
        selector.shared.lock().pollfds_mut().len(),
        2,
        "notifier and Waker left"
    );
}

/// A modifier that gives up without taking the lock (after a failed wake-up) while the poller
/// is parked waiting for it must release the poller.
#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate poll(2)")]
fn withdrawing_modifier_releases_a_parked_poller() {
    let (selector, waker) = selector_and_stop_waker();
    let (events, poller) = spawn_poller(&selector, STOP);
    wait_until_polling(&selector);
    // A modifier announces itself and wakes the poller, which parks until it is done.
    selector.shared.waiting.fetch_add(1, SeqCst);
    selector.shared.notifier.notify().unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while !selector.shared.lock().poller_parked {
        assert!(Instant::now() < deadline, "the poller never parked");
        thread::yield_now();
    }
    selector.shared.withdraw();
    wait_until_polling(&selector);
    stop_poller(&waker, &events, poller);
}

fn watch(token: Token, interests: Interest) -> Watch {
    Watch { token, interests }
}

/// Fault injection (issue 14, item 4): a source or Waker dropped while the poller is blocked
/// in poll(2) and cannot be woken (the notifier's write fails) must not leave its slot behind.
/// Its fd number is normally reused at once by the next socket, whose registration must work
/// and whose events must carry its own token; and were the number not reused, the stale slot
/// would report the closed fd (POLLNVAL) under the dropped owner's token. Either way the
/// first event must be the new socket's.
fn dropped_while_wake_fails_leaves_no_stale_slot(drop_waker: bool) {
    let (selector, waker) = selector_and_stop_waker();
    let (local, peer, state) = registered_pair(&selector, Token(1));
    let dropped = Waker::new(&selector, Token(5)).unwrap();
    let (events, poller) = spawn_poller(&selector, STOP);
    wait_until_polling(&selector);

    Plan::new("notify_write", libc::ENOSPC).arm();
    if drop_waker {
        drop(dropped); // removes its slot: the wake-up fails
    } else {
        drop(state); // deregisters: the wake-up fails
        drop((local, peer));
    }
    assert_eq!(
        crate::sys::failpoints::armed(),
        0,
        "the failpoint was not reached"
    );

    // Would fail if the dropped owner's slot still held its fd number.
    let (_reused, mut reused_peer, new_state) = registered_pair(&selector, Token(2));
    reused_peer.write_all(b"x").unwrap();
    assert_eq!(events.recv_timeout(TIMEOUT), Ok(Token(2)));
    stop_poller(&waker, &events, poller);
    drop(new_state);
    // Left: the notifier, the stop Waker and whichever of the source and Waker was kept.
    assert_eq!(selector.shared.lock().pollfds_mut().len(), 3);
}

#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate poll(2)")]
fn source_dropped_while_wake_fails_leaves_no_stale_slot() {
    dropped_while_wake_fails_leaves_no_stale_slot(false);
}

#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate poll(2)")]
fn waker_dropped_while_wake_fails_leaves_no_stale_slot() {
    dropped_while_wake_fails_leaves_no_stale_slot(true);
}
