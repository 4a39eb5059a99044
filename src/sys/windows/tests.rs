//! Unit tests of the Windows backend that need its internals (failure injection, the
//! re-arm rules of the `IoSource` adapter). Run under Wine by `.ci/windows.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::timeout_ms;
use crate::event::Event;
use crate::{Events, Poll, Token, Waker};

const TIMEOUT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(150);

/// Polls until an event for `token` arrives (bounded), returning it.
fn wait_for(poll: &mut Poll, events: &mut Events, token: Token) -> Event {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        poll.poll(events, Some(Duration::from_millis(100))).unwrap();
        if let Some(e) = events.iter().find(|e| e.token() == token) {
            return e.clone();
        }
    }
    panic!("no event for {token:?} within {TIMEOUT:?}");
}

/// Asserts that no event for `token` shows up for a short while.
fn no_event(poll: &mut Poll, events: &mut Events, token: Token) {
    let deadline = Instant::now() + QUIET;
    while Instant::now() < deadline {
        poll.poll(events, Some(QUIET)).unwrap();
        if let Some(e) = events.iter().find(|e| e.token() == token) {
            panic!("unexpected event {e:?}");
        }
    }
}

/// A global allocator that counts the allocations each thread makes, so that a test can check
/// that a path allocates nothing (a socket test).
#[cfg(feature = "net")]
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    }

    fn count() {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
    }

    struct Counting;

    // SAFETY: every call is passed on unchanged to the system allocator; only a thread-local
    // counter (which never allocates: a `Cell<usize>` with no destructor) is touched besides.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count();
            // SAFETY: the caller's promises about `layout` are passed on.
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            count();
            // SAFETY: the caller's promises about `layout` are passed on.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count();
            // SAFETY: `ptr` came from this allocator, that is from `System`.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from this allocator, that is from `System`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    /// How many allocations this thread has made so far.
    pub(super) fn allocations() -> usize {
        ALLOCATIONS.try_with(|c| c.get()).unwrap_or(0)
    }
}

#[test]
fn timeouts_round_up_and_clamp() {
    assert_eq!(timeout_ms(None), u32::MAX);
    assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
    assert_eq!(timeout_ms(Some(Duration::from_nanos(1))), 1);
    assert_eq!(timeout_ms(Some(Duration::from_micros(1_001))), 2);
    assert_eq!(timeout_ms(Some(Duration::from_secs(3))), 3_000);
    assert_eq!(timeout_ms(Some(Duration::MAX)), u32::MAX - 1);
    assert_eq!(
        timeout_ms(Some(Duration::from_secs(60 * 86_400))),
        u32::MAX - 1
    );
}

#[test]
fn wakers_carry_whole_tokens() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let tokens = [Token(usize::MAX), Token(1 << (usize::BITS - 1)), Token(0)];
    let wakers: Vec<Waker> = tokens
        .iter()
        .map(|&t| Waker::new(poll.registry(), t).unwrap())
        .collect();
    for w in &wakers {
        w.wake().unwrap();
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while seen.len() < tokens.len() && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for e in events.iter() {
            assert!(e.is_readable());
            seen.push(e.token());
        }
    }
    seen.sort();
    let mut want = tokens.to_vec();
    want.sort();
    assert_eq!(seen, want);
}

#[test]
fn never_more_events_than_capacity() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1);
    let wakers: Vec<Waker> = (0..3)
        .map(|i| Waker::new(poll.registry(), Token(i)).unwrap())
        .collect();
    for w in &wakers {
        w.wake().unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        poll.poll(&mut events, Some(TIMEOUT)).unwrap();
        assert_eq!(events.iter().count(), 1);
        seen.extend(events.iter().map(|e| e.token()));
    }
    seen.sort();
    assert_eq!(seen, vec![Token(0), Token(1), Token(2)]);
}

#[test]
fn waker_from_another_thread_ends_a_blocking_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let waker = Arc::new(Waker::new(poll.registry(), Token(7)).unwrap());
    let remote = Arc::clone(&waker);
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        remote.wake().unwrap();
    });
    let event = wait_for(&mut poll, &mut events, Token(7));
    assert!(event.is_readable());
    thread.join().unwrap();
}

#[cfg(feature = "net")]
mod sockets {
    use std::io::{self, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::windows::io::AsRawSocket;

    use super::*;
    use crate::event::Source as _;
    use crate::Interest;

    type Source = crate::io_source::IoSource<TcpStream>;

    fn connected_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.set_nonblocking(true).unwrap();
        server.set_nonblocking(true).unwrap();
        (client, server)
    }

    /// A new poller, a connected socket registered with it under `token` for `interests`, and
    /// the socket's peer.
    fn registered_pair(token: Token, interests: Interest) -> (Poll, Events, Source, TcpStream) {
        let poll = Poll::new().unwrap();
        let (client, server) = connected_pair();
        let mut source = Source::new(client);
        source.register(poll.registry(), token, interests).unwrap();
        (poll, Events::with_capacity(8), source, server)
    }

    #[test]
    fn readable_and_writable() {
        let (mut poll, mut events, source, mut server) =
            registered_pair(Token(1), Interest::READABLE | Interest::WRITABLE);
        assert!(wait_for(&mut poll, &mut events, Token(1)).is_writable());
        server.write_all(b"hello").unwrap();
        let event = wait_for(&mut poll, &mut events, Token(1));
        assert!(event.is_readable());
        let mut buf = [0u8; 16];
        let n = source.read_op(|s| (&*s).read(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"hello");
    }

    /// A read that blocks re-arms READABLE only: no spurious writable event follows.
    #[test]
    fn blocked_read_rearms_only_readable() {
        let (mut poll, mut events, source, mut server) =
            registered_pair(Token(2), Interest::READABLE | Interest::WRITABLE);
        assert!(wait_for(&mut poll, &mut events, Token(2)).is_writable());
        let mut buf = [0u8; 16];
        for _ in 0..3 {
            let err = source.read_op(|s| (&*s).read(&mut buf)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            no_event(&mut poll, &mut events, Token(2));
        }
        server.write_all(b"x").unwrap();
        let event = wait_for(&mut poll, &mut events, Token(2));
        assert!(event.is_readable());
        assert!(!event.is_writable(), "{event:?}");
    }

    #[test]
    fn no_event_after_deregister() {
        let (mut poll, mut events, mut source, mut server) =
            registered_pair(Token(3), Interest::READABLE);
        // Let the request reach the kernel, then make it complete right after deregistering.
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        source.deregister(poll.registry()).unwrap();
        server.write_all(b"x").unwrap();
        no_event(&mut poll, &mut events, Token(3));
        assert_eq!(
            source.deregister(poll.registry()).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn register_during_a_blocking_poll() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let registry = poll.registry().try_clone().unwrap();
        let (client, server) = connected_pair();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let mut source = Source::new(client);
            source
                .register(&registry, Token(4), Interest::WRITABLE)
                .unwrap();
            source
        });
        // One blocking poll, long enough to need the registration made while it waits.
        let start = Instant::now();
        poll.poll(&mut events, Some(TIMEOUT)).unwrap();
        assert!(start.elapsed() < TIMEOUT);
        assert!(events
            .iter()
            .any(|e| e.token() == Token(4) && e.is_writable()));
        drop(thread.join().unwrap());
        drop(server);
    }

    /// A failed AFD submission is reported on that socket, retried, and then works; other
    /// sockets are not disturbed and `poll` itself does not fail. The socket's `take_error`
    /// returns the failure's OS code.
    #[test]
    fn submission_failure_is_reported_and_retried() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (client, _server) = connected_pair();
        let (other, _other_server) = connected_pair();
        let base = super::super::afd::base_socket(client.as_raw_socket()).unwrap();
        // Two submissions fail with WSAENOBUFS.
        crate::sys::failpoints::Plan::new("afd_poll", 10055)
            .times(2)
            .any_thread_for(base as usize)
            .arm();
        let mut source = Source::new(client);
        let mut second = Source::new(other);
        source
            .register(poll.registry(), Token(5), Interest::WRITABLE)
            .unwrap();
        second
            .register(poll.registry(), Token(6), Interest::WRITABLE)
            .unwrap();
        let mut failures = 0;
        let mut ok = false;
        let mut other_ok = false;
        let deadline = Instant::now() + TIMEOUT;
        while !(ok && other_ok) && Instant::now() < deadline {
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap();
            for e in events.iter() {
                if e.token() == Token(5) {
                    if e.is_error() {
                        failures += 1;
                        let err = source
                            .take_error(Interest::WRITABLE, |s| s.take_error())
                            .unwrap()
                            .expect("take_error after an error event");
                        assert_eq!(err.raw_os_error(), Some(10055));
                    } else if e.is_writable() {
                        ok = true;
                    }
                } else if e.token() == Token(6) {
                    other_ok = true;
                }
            }
        }
        assert_eq!(failures, 2);
        assert!(ok && other_ok);
        // Taken, and the submission has worked since: nothing left but the socket's own state.
        assert!(source
            .take_error(Interest::WRITABLE, |s| s.take_error())
            .unwrap()
            .is_none());
    }

    /// Registrations changing in other threads while one thread polls: no deadlock between a
    /// state's lock and the selector's queue (bounded by the test's time limit).
    #[test]
    fn concurrent_reregistration_while_polling() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(64);
        let registry = Arc::new(poll.registry().try_clone().unwrap());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut threads = Vec::new();
        for t in 0..2 {
            let registry = Arc::clone(&registry);
            let stop = Arc::clone(&stop);
            threads.push(std::thread::spawn(move || {
                let (client, _server) = connected_pair();
                let mut source = Source::new(client);
                source
                    .register(&registry, Token(100 + t), Interest::READABLE)
                    .unwrap();
                let mut buf = [0u8; 8];
                let mut i = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && i < 2_000 {
                    let interests = if i % 2 == 0 {
                        Interest::READABLE | Interest::WRITABLE
                    } else {
                        Interest::READABLE
                    };
                    source
                        .reregister(&registry, Token(100 + t), interests)
                        .unwrap();
                    let _ = source.read_op(|s| (&*s).read(&mut buf));
                    i += 1;
                }
                source.deregister(&registry).unwrap();
            }));
        }
        let deadline = Instant::now() + TIMEOUT;
        while threads.iter().any(|t| !t.is_finished()) {
            assert!(
                Instant::now() < deadline,
                "threads did not finish (deadlock?)"
            );
            poll.poll(&mut events, Some(Duration::from_millis(10)))
                .unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
    }

    /// Issue 13, item 12: an update made by another thread (a registration change while the
    /// poller is in `select`) that runs at the same time as the poller's own update must not
    /// cost the queue one of its two buffers. Once warm, changing registrations and polling
    /// allocate nothing, also after such a race (lined up with a pause inside the update).
    #[test]
    fn warm_updates_allocate_nothing_even_after_a_race() {
        use crate::net::UdpSocket;

        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(64);
        let mut sockets: Vec<UdpSocket> = (0..32)
            .map(|_| UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap())
            .collect();
        for (i, socket) in sockets.iter_mut().enumerate() {
            poll.registry()
                .register(socket, Token(i), Interest::READABLE)
                .unwrap();
        }
        // Each reregistration queues its socket.
        fn reregister_all(poll: &Poll, sockets: &mut [UdpSocket]) {
            for (i, socket) in sockets.iter_mut().enumerate() {
                poll.registry()
                    .reregister(socket, Token(i), Interest::READABLE)
                    .unwrap();
            }
        }
        // Warm up: both buffers of the queue grow to 32 states.
        for _ in 0..2 {
            reregister_all(&poll, &mut sockets);
            poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        }

        // The race: the poller pauses inside its update, right after swapping the buffers,
        // while another thread changes a registration (and so updates too).
        reregister_all(&poll, &mut sockets);
        let (paused, go) =
            super::super::selector::hooks::pause_next_update(poll.registry().selector());
        let registry = poll.registry().try_clone().unwrap();
        let mut moved = sockets.pop().unwrap();
        std::thread::scope(|scope| {
            let poller = scope.spawn(|| poll.poll(&mut events, Some(Duration::ZERO)));
            paused
                .recv_timeout(TIMEOUT)
                .expect("the poller's update paused");
            let other = scope.spawn(move || {
                registry
                    .reregister(&mut moved, Token(99), Interest::READABLE)
                    .unwrap();
                moved
            });
            // Give the other update time to run to its end, if it can while the poller's is
            // under way.
            let deadline = Instant::now() + Duration::from_millis(300);
            while !other.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            go.send(()).unwrap();
            poller.join().unwrap().unwrap();
            sockets.push(other.join().unwrap());
        });

        let before = counting::allocations();
        for _ in 0..3 {
            reregister_all(&poll, &mut sockets);
            poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        }
        let allocations = counting::allocations() - before;
        assert_eq!(allocations, 0, "warm reregistrations and polls allocated");
    }
}
