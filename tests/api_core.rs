//! The core public API, item by item, with the exact types of the mio 1.x contract
//! (api-contract.md sections 2-7, 9 and 11).
//!
//! Most checks are compile-time: each function is coerced to a function pointer of the
//! contract's signature, and each trait impl is named in a bound, so a drifting signature or a
//! missing impl fails to build. The runtime parts call every item once.
//!
//! The Unix items (pipes, `SourceFd`, fd traits) are checked on Unix only; elsewhere the
//! sources are loopback TCP connections (see [`channel`]).
#![cfg(any(all(unix, feature = "os-ext"), all(windows, feature = "net")))]
// The crate's unsafe rules (see src/lib.rs) hold in the tests too.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

mod util;

use std::fmt::Debug;
use std::hash::Hash;
use std::io::{self, Read, Write};
use std::ops::{BitOr, BitOrAssign};
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
#[cfg(unix)]
use std::process::{ChildStderr, ChildStdin, ChildStdout};
use std::time::Duration;

use ferrio::event::{Event, Events, Iter, Source};
#[cfg(unix)]
use ferrio::unix::pipe::{self, Receiver, Sender};
#[cfg(unix)]
use ferrio::unix::SourceFd;
use ferrio::{Interest, Poll, Registry, Token, Waker};

use util::{assert_send_sync, expect_events, Expect, TIMEOUT};

/// The write end of [`channel`]: a loopback TCP connection on Windows.
#[cfg(windows)]
type Sender = ferrio::net::TcpStream;
/// The read end of [`channel`].
#[cfg(windows)]
type Receiver = ferrio::net::TcpStream;

/// A one-way channel: bytes written to the first end make the second readable. A pipe.
#[cfg(unix)]
fn channel() -> (Sender, Receiver) {
    pipe::new().unwrap()
}

/// A one-way channel: a loopback TCP connection (both ends non-blocking).
#[cfg(windows)]
fn channel() -> (Sender, Receiver) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tx = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (rx, _) = listener.accept().unwrap();
    tx.set_nonblocking(true).unwrap();
    rx.set_nonblocking(true).unwrap();
    (Sender::from_std(tx), Receiver::from_std(rx))
}

// ---------------------------------------------------------------------------------------------
// Signatures (compile-time).

#[test]
fn poll_and_registry_signatures() {
    let _: fn() -> io::Result<Poll> = Poll::new;
    let _: fn(&Poll) -> &Registry = Poll::registry;
    let _: fn(&mut Poll, &mut Events, Option<Duration>) -> io::Result<()> = Poll::poll;

    // Generic over `S: Source + ?Sized`: both a sized source and a trait object.
    let _: fn(&Registry, &mut Receiver, Token, Interest) -> io::Result<()> =
        Registry::register::<Receiver>;
    let _: fn(&Registry, &mut (dyn Source + 'static), Token, Interest) -> io::Result<()> =
        Registry::register::<dyn Source>;
    let _: fn(&Registry, &mut Receiver, Token, Interest) -> io::Result<()> =
        Registry::reregister::<Receiver>;
    let _: fn(&Registry, &mut (dyn Source + 'static), Token, Interest) -> io::Result<()> =
        Registry::reregister::<dyn Source>;
    let _: fn(&Registry, &mut Receiver) -> io::Result<()> = Registry::deregister::<Receiver>;
    let _: fn(&Registry, &mut (dyn Source + 'static)) -> io::Result<()> =
        Registry::deregister::<dyn Source>;
    let _: fn(&Registry) -> io::Result<Registry> = Registry::try_clone;

    fn debug<T: Debug>() {}
    debug::<Poll>();
    debug::<Registry>();
}

/// The fd impls exist on the fd-based selectors (epoll here). Tests cannot see the crate's
/// build-script cfg, so they spell out when epoll is in use.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(ferrio_force_poll, mio_unsupported_force_poll_poll))
))]
#[test]
fn poll_and_registry_fd_impls() {
    fn as_raw_fd<T: AsRawFd>() {}
    fn as_fd<T: AsFd>() {}
    as_raw_fd::<Poll>();
    as_raw_fd::<Registry>();
    as_fd::<Registry>();

    let poll = Poll::new().unwrap();
    let fd = poll.as_raw_fd();
    assert!(fd >= 0);
    assert_eq!(poll.registry().as_raw_fd(), fd);
    assert_eq!(poll.registry().as_fd().as_raw_fd(), fd);
    // A clone is its own fd on the same poller.
    let clone = poll.registry().try_clone().unwrap();
    assert!(clone.as_raw_fd() >= 0);
    assert_ne!(clone.as_raw_fd(), fd);
}

#[test]
fn token_api() {
    fn derives<T: Copy + Clone + Debug + PartialEq + Eq + PartialOrd + Ord + Hash>() {}
    derives::<Token>();
    let _: fn(Token) -> usize = usize::from;
    let _: fn(Token) -> usize = Into::into;

    let token = Token(usize::MAX);
    assert_eq!(token.0, usize::MAX);
    assert_eq!(usize::from(token), usize::MAX);
    assert_eq!(Token(3), Token(3).clone());
    assert!(Token(1) < Token(2));
    assert_eq!(Token(2).max(Token(1)), Token(2));
    assert_eq!(format!("{:?}", Token(42)), "Token(42)");
    let set: std::collections::HashSet<Token> =
        [Token(1), Token(1), Token(2)].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn interest_api() {
    fn derives<T: Copy + Clone + Debug + PartialEq + Eq + PartialOrd + Ord>() {}
    fn ops<T: BitOr<Output = T> + BitOrAssign>() {}
    derives::<Interest>();
    ops::<Interest>();

    let _: fn(Interest, Interest) -> Interest = Interest::add;
    let _: fn(Interest, Interest) -> Option<Interest> = Interest::remove;
    let _: fn(Interest) -> bool = Interest::is_readable;
    let _: fn(Interest) -> bool = Interest::is_writable;
    let _: fn(Interest) -> bool = Interest::is_aio;
    let _: fn(Interest) -> bool = Interest::is_lio;
    let _: fn(Interest) -> bool = Interest::is_priority;

    // `add` and the `is_*` queries are const fns.
    const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    const BOTH_READ: bool = BOTH.is_readable();
    const BOTH_WRITE: bool = BOTH.is_writable();
    const NO_AIO: bool = BOTH.is_aio() || BOTH.is_lio() || BOTH.is_priority();
    const _: () = assert!(BOTH_READ && BOTH_WRITE && !NO_AIO);

    let r = Interest::READABLE;
    let w = Interest::WRITABLE;
    assert!(r.is_readable() && !r.is_writable());
    assert!(w.is_writable() && !w.is_readable());
    assert_eq!(r | w, BOTH);
    assert_eq!(r | r, r);
    let mut acc = r;
    acc |= w;
    assert_eq!(acc, BOTH);
    assert_eq!(BOTH.remove(w), Some(r));
    assert_eq!(BOTH.remove(r), Some(w));
    assert_eq!(r.remove(r), None);
    assert_eq!(r.remove(w), Some(r));
    assert_eq!(BOTH.remove(BOTH), None);

    // The Debug text is part of the contract (mio's own tests compare it exactly).
    assert_eq!(format!("{:?}", r), "READABLE");
    assert_eq!(format!("{:?}", w), "WRITABLE");
    assert_eq!(format!("{:?}", r | w), "READABLE | WRITABLE");
    assert_eq!(format!("{:?}", w | r), "READABLE | WRITABLE");
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn interest_priority_on_linux() {
    const P: Interest = Interest::PRIORITY;
    assert!(P.is_priority() && !P.is_readable() && !P.is_writable());
    assert!(!P.is_aio() && !P.is_lio());
    assert_eq!(format!("{:?}", P), "PRIORITY");
    assert_eq!(
        format!("{:?}", Interest::READABLE | Interest::WRITABLE | P),
        "READABLE | WRITABLE | PRIORITY"
    );
    assert_eq!((P | Interest::READABLE).remove(Interest::READABLE), Some(P));
}

#[test]
fn event_signatures() {
    let _: fn(&Event) -> Token = Event::token;
    let _: fn(&Event) -> bool = Event::is_readable;
    let _: fn(&Event) -> bool = Event::is_writable;
    let _: fn(&Event) -> bool = Event::is_error;
    let _: fn(&Event) -> bool = Event::is_read_closed;
    let _: fn(&Event) -> bool = Event::is_write_closed;
    let _: fn(&Event) -> bool = Event::is_priority;
    let _: fn(&Event) -> bool = Event::is_aio;
    let _: fn(&Event) -> bool = Event::is_lio;
    fn clone_debug<T: Clone + Debug>() {}
    clone_debug::<Event>();
}

#[test]
fn events_and_iter_signatures() {
    let _: fn(usize) -> Events = Events::with_capacity;
    let _: fn(&Events) -> usize = Events::capacity;
    let _: fn(&Events) -> bool = Events::is_empty;
    let _: for<'a> fn(&'a Events) -> Iter<'a> = Events::iter;
    let _: fn(&mut Events) = Events::clear;

    fn into_iter<'a, T>()
    where
        &'a T: IntoIterator<Item = &'a Event, IntoIter = Iter<'a>>,
        T: 'a,
    {
    }
    into_iter::<Events>();
    fn iter<'a, T: Iterator<Item = &'a Event> + Clone + Debug>() {}
    iter::<Iter<'_>>();
    fn debug<T: Debug>() {}
    debug::<Events>();

    // `ferrio::Events` is the same type as `ferrio::event::Events`.
    let events: ferrio::Events = Events::with_capacity(4);
    assert_eq!(events.capacity(), 4);
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert_eq!(format!("{events:?}"), "[]");
}

#[test]
fn waker_signatures() {
    let _: fn(&Registry, Token) -> io::Result<Waker> = Waker::new;
    let _: fn(&Waker) -> io::Result<()> = Waker::wake;
    fn debug<T: Debug>() {}
    debug::<Waker>();
}

#[test]
fn source_trait_signatures() {
    // The trait is object safe and its methods have the contract's shapes.
    fn source<S: Source + ?Sized>() {
        let _: fn(&mut S, &Registry, Token, Interest) -> io::Result<()> = S::register;
        let _: fn(&mut S, &Registry, Token, Interest) -> io::Result<()> = S::reregister;
        let _: fn(&mut S, &Registry) -> io::Result<()> = S::deregister;
    }
    source::<dyn Source>();
    source::<Box<dyn Source>>();
    source::<Box<dyn Source + Send>>();
    source::<Box<Receiver>>();
    #[cfg(unix)]
    source::<SourceFd<'static>>();
    source::<Sender>();
    source::<Receiver>();
}

#[cfg(unix)]
#[test]
fn pipe_signatures() {
    type Op = fn() -> io::Result<u8>;
    let _: fn() -> io::Result<(Sender, Receiver)> = pipe::new;
    let _: fn(&Sender, bool) -> io::Result<()> = Sender::set_nonblocking;
    let _: fn(&Receiver, bool) -> io::Result<()> = Receiver::set_nonblocking;
    let _: fn(&Sender, Op) -> io::Result<u8> = Sender::try_io::<Op, u8>;
    let _: fn(&Receiver, Op) -> io::Result<u8> = Receiver::try_io::<Op, u8>;

    fn fd_end<T>()
    where
        T: Source + Debug + FromRawFd + AsRawFd + IntoRawFd + AsFd + From<OwnedFd>,
        OwnedFd: From<T>,
    {
    }
    fd_end::<Sender>();
    fd_end::<Receiver>();

    fn from<T: From<U>, U>() {}
    from::<Sender, ChildStdin>();
    from::<Receiver, ChildStdout>();
    from::<Receiver, ChildStderr>();

    fn write<T: Write>() {}
    fn read<T: Read>() {}
    write::<Sender>();
    write::<&Sender>();
    read::<Receiver>();
    read::<&Receiver>();
}

#[cfg(unix)]
#[test]
fn source_fd_shape() {
    fn debug<T: Debug>() {}
    debug::<SourceFd<'_>>();
    let fd: RawFd = 7;
    // A tuple struct with a public borrowed field.
    let source = SourceFd(&fd);
    let inner: &RawFd = source.0;
    assert_eq!(*inner, 7);
    assert!(format!("{source:?}").contains('7'));
}

#[test]
fn auto_traits() {
    assert_send_sync::<Poll>();
    assert_send_sync::<Registry>();
    assert_send_sync::<Events>();
    assert_send_sync::<Event>();
    assert_send_sync::<Iter<'static>>();
    assert_send_sync::<Waker>();
    assert_send_sync::<Token>();
    assert_send_sync::<Interest>();
    assert_send_sync::<Sender>();
    assert_send_sync::<Receiver>();
    #[cfg(unix)]
    assert_send_sync::<SourceFd<'static>>();
}

// ---------------------------------------------------------------------------------------------
// Every item called once (runtime).

#[test]
fn poll_registry_debug_text() {
    let poll = Poll::new().unwrap();
    assert_eq!(format!("{poll:?}"), "Poll");
    assert_eq!(format!("{:?}", poll.registry()), "Registry");
}

#[test]
fn calls_every_core_item() {
    let mut poll = Poll::new().unwrap();
    let registry: &Registry = poll.registry();
    let clone: Registry = registry.try_clone().unwrap();
    let mut events = Events::with_capacity(8);

    // Register through a clone; the events come out of the original.
    let (mut tx, mut rx) = channel();
    clone
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();
    clone
        .reregister(&mut rx, Token(2), Interest::READABLE)
        .unwrap();
    tx.write_all(b"x").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(2), Interest::READABLE)],
    );
    let mut buf = [0u8; 8];
    assert_eq!(rx.read(&mut buf).unwrap(), 1);
    poll.registry().deregister(&mut rx).unwrap();

    // A boxed trait object is a Source too.
    let mut boxed: Box<dyn Source> = Box::new(rx);
    poll.registry()
        .register(&mut boxed, Token(3), Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut boxed, Token(4), Interest::READABLE)
        .unwrap();
    tx.write_all(b"y").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(4), Interest::READABLE)],
    );
    poll.registry().deregister(&mut boxed).unwrap();
    // And a `&mut dyn Source` through the `?Sized` bound directly.
    let dynamic: &mut dyn Source = &mut *boxed;
    poll.registry()
        .register(dynamic, Token(5), Interest::READABLE)
        .unwrap();
    poll.registry().deregister(dynamic).unwrap();

    // Waker.
    let waker = Waker::new(poll.registry(), Token(9)).unwrap();
    waker.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(9), Interest::READABLE)],
    );
    assert!(format!("{waker:?}").contains("Waker"));
}

#[test]
fn events_iteration() {
    let mut poll = Poll::new().unwrap();
    let wakers: Vec<Waker> = (0..3)
        .map(|i| Waker::new(poll.registry(), Token(i)).unwrap())
        .collect();
    for waker in &wakers {
        waker.wake().unwrap();
    }
    let mut events = Events::with_capacity(8);
    assert_eq!(events.capacity(), 8);
    // Collect all three (a backend may spread them over several polls).
    let mut tokens = Vec::new();
    let deadline = std::time::Instant::now() + TIMEOUT;
    while tokens.len() < 3 && std::time::Instant::now() < deadline {
        util::poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        let by_iter: Vec<Token> = events.iter().map(Event::token).collect();
        let by_ref: Vec<Token> = (&events).into_iter().map(|e| e.token()).collect();
        let mut by_for = Vec::new();
        for event in &events {
            by_for.push(event.token());
        }
        assert_eq!(by_iter, by_ref);
        assert_eq!(by_iter, by_for);
        assert!(by_iter.len() <= events.capacity());

        // Iter: Clone yields the same sequence; Debug works; size_hint is consistent.
        let iter = events.iter();
        let copy = iter.clone();
        assert_eq!(
            iter.map(|e| e.token()).collect::<Vec<_>>(),
            copy.map(|e| e.token()).collect::<Vec<_>>()
        );
        assert!(format!("{:?}", events.iter()).contains("Iter"));
        let (low, high) = events.iter().size_hint();
        assert!(low <= by_iter.len() && high.map_or(true, |h| h >= by_iter.len()));
        assert_eq!(events.iter().count(), by_iter.len());

        // An Event clones to an equal-looking event.
        if let Some(first) = events.iter().next() {
            let cloned: Event = first.clone();
            assert_eq!(cloned.token(), first.token());
            assert_eq!(format!("{cloned:?}"), format!("{first:?}"));
        }
        tokens.extend(by_iter);
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens, vec![Token(0), Token(1), Token(2)]);

    // clear forgets the events but keeps the capacity.
    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.iter().next().map(|e| e.token()), None);
    assert_eq!(events.capacity(), 8);
}

#[cfg(unix)]
#[test]
fn pipe_every_impl() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, rx) = pipe::new().unwrap();

    // fd conversions: AsRawFd, AsFd, IntoRawFd, FromRawFd, OwnedFd both ways.
    assert_eq!(tx.as_fd().as_raw_fd(), tx.as_raw_fd());
    assert_eq!(rx.as_fd().as_raw_fd(), rx.as_raw_fd());
    let raw = tx.into_raw_fd();
    // SAFETY: `raw` came from `into_raw_fd` just above and is owned by nothing else.
    let tx = unsafe { Sender::from_raw_fd(raw) };
    assert_eq!(tx.as_raw_fd(), raw);
    let owned: OwnedFd = rx.into();
    let rx = Receiver::from(owned);
    let owned = OwnedFd::from(tx);
    let tx: Sender = owned.into();

    // Ends from `new` are non-blocking already; setting it again is harmless.
    tx.set_nonblocking(true).unwrap();
    rx.set_nonblocking(true).unwrap();

    let (mut tx, mut rx) = (tx, rx);
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut tx, Token(1), Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(1), Interest::WRITABLE)],
    );

    // Write through `Sender`, `&Sender` (plain and vectored), and `try_io`.
    tx.write_all(b"ab").unwrap();
    (&tx).write_all(b"cd").unwrap();
    let n = (&tx)
        .write_vectored(&[io::IoSlice::new(b"e"), io::IoSlice::new(b"f")])
        .unwrap();
    assert_eq!(n, 2);
    tx.flush().unwrap();
    (&tx).flush().unwrap();
    let n = tx
        .try_io(|| {
            let fd = tx.as_raw_fd();
            // SAFETY: a live buffer of the length passed, written to our own open pipe.
            let n = unsafe { libc::write(fd, b"g".as_ptr().cast(), 1) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
        .unwrap();
    assert_eq!(n, 1);

    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(0), Interest::READABLE)],
    );
    // Read through `Receiver`, `&Receiver` (plain and vectored), and `try_io`.
    let mut got = Vec::new();
    let mut two = [0u8; 2];
    rx.read_exact(&mut two).unwrap();
    got.extend_from_slice(&two);
    (&rx).read_exact(&mut two).unwrap();
    got.extend_from_slice(&two);
    let (mut a, mut b) = ([0u8; 1], [0u8; 1]);
    let n = (&rx)
        .read_vectored(&mut [io::IoSliceMut::new(&mut a), io::IoSliceMut::new(&mut b)])
        .unwrap();
    assert_eq!(n, 2);
    got.extend_from_slice(&a);
    got.extend_from_slice(&b);
    let byte = rx
        .try_io(|| {
            let mut byte = 0u8;
            // SAFETY: a live one-byte buffer, read from our own open pipe.
            let n = unsafe { libc::read(rx.as_raw_fd(), (&mut byte as *mut u8).cast(), 1) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(byte)
            }
        })
        .unwrap();
    got.push(byte);
    assert_eq!(got, b"abcdefg");
    // Drained: the next read says WouldBlock, also through try_io.
    assert_eq!(
        rx.read(&mut two).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    let err = rx
        .try_io(|| Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock)))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

    assert!(format!("{tx:?}").contains("Sender"));
    assert!(format!("{rx:?}").contains("Receiver"));
    poll.registry().deregister(&mut rx).unwrap();
    poll.registry().deregister(&mut tx).unwrap();
}

#[test]
fn event_debug_lists_every_field() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), Token(7)).unwrap();
    waker.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(7), Interest::READABLE)],
    );
    let event = events
        .iter()
        .find(|e| e.token() == Token(7))
        .expect("the event is still in the buffer");
    let text = format!("{event:?}");
    assert!(text.starts_with("Event {"), "{text}");
    for field in [
        "token: Token(7)",
        "readable: true",
        "writable: false",
        "error: false",
        "read_closed: false",
        "write_closed: false",
        "priority: ",
        "aio: false",
        "lio: false",
    ] {
        assert!(text.contains(field), "{text} lacks {field:?}");
    }
    assert!(!text.contains("details"), "{text}");
    // The alternate form adds the raw OS fields (their format is not stable).
    let pretty = format!("{event:#?}");
    assert!(pretty.contains("details"), "{pretty}");
    assert!(
        pretty.contains("token: Token(\n") || pretty.contains("token: Token(7)"),
        "{pretty}"
    );
    // The buffer's Debug is the list of its events.
    let list = format!("{events:?}");
    assert!(list.starts_with('[') && list.contains("Event {"), "{list}");
}
