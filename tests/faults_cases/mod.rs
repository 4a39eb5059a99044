//! The cases of `tests/faults.rs`: which failpoint fails, with which OS error, and what the
//! case then checks. Each case builds a [`World`] (a `Poll` with a bystander socket whose
//! event is pending), injects its fault into one operation, checks the error the caller gets,
//! and hands the world to [`World::check`], which checks that the bystander's event arrives,
//! that the bystander keeps working, and that a new registration works.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixStream as StdUnixStream;

use ferrio::net::{TcpListener, TcpStream, UnixStream};
use ferrio::{Events, Interest, Poll, Token, Waker};

use std::time::{Duration, Instant};

use crate::util::{expect_events, poll_retrying, Expect, TIMEOUT};
use crate::Case;
use ferrio::__failpoints as fp;

const BYSTANDER: Token = Token(1);
const FRESH: Token = Token(2);
const SUBJECT: Token = Token(3);
const WAKER: Token = Token(4);

/// A `Poll` with one registered bystander whose readable event is pending before the fault.
struct World {
    poll: Poll,
    events: Events,
    bystander: UnixStream,
    peer: StdUnixStream,
    /// Whether the bystander's pending event has been reported (by any poll of the case).
    bystander_seen: bool,
}

impl World {
    fn new() -> World {
        let poll = Poll::new().unwrap();
        let (bystander, peer) = unix_pair();
        let mut bystander = bystander;
        poll.registry()
            .register(&mut bystander, BYSTANDER, Interest::READABLE)
            .unwrap();
        let mut world = World {
            poll,
            events: Events::with_capacity(16),
            bystander,
            peer,
            bystander_seen: false,
        };
        world.peer.write_all(b"p").unwrap();
        world
    }

    /// Polls until every expected event has arrived.
    #[track_caller]
    pub(crate) fn expect(&mut self, expected: &[Expect]) {
        let seen = expect_events(&mut self.poll, &mut self.events, expected);
        self.bystander_seen |= seen.iter().any(|e| e.token == BYSTANDER);
    }

    /// Notes whether the last poll reported the bystander.
    fn note(&mut self) {
        self.bystander_seen |= self.events.iter().any(|e| e.token() == BYSTANDER);
    }

    /// Retries `op` while it returns `WouldBlock`, polling in between (bounded).
    #[track_caller]
    pub(crate) fn until_ready<T>(
        &mut self,
        mut op: impl FnMut() -> io::Result<T>,
    ) -> io::Result<T> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
            assert!(
                Instant::now() < deadline,
                "still WouldBlock after {TIMEOUT:?}"
            );
            poll_retrying(
                &mut self.poll,
                &mut self.events,
                Some(Duration::from_millis(20)),
            );
            self.note();
        }
    }

    pub(crate) fn registry(&self) -> &ferrio::Registry {
        self.poll.registry()
    }

    /// After the fault: the bystander's pending event arrives, a second one too, and a new
    /// registration gets its event. Then everything is deregistered and dropped.
    #[track_caller]
    fn check(mut self) {
        if !self.bystander_seen {
            self.expect(&[Expect::new(BYSTANDER, Interest::READABLE)]);
        }
        assert_eq!(drain(&mut self.bystander), 1);
        self.peer.write_all(b"q").unwrap();
        self.expect(&[Expect::new(BYSTANDER, Interest::READABLE)]);
        assert_eq!(drain(&mut self.bystander), 1);

        let (mut fresh, mut fresh_peer) = unix_pair();
        self.registry()
            .register(&mut fresh, FRESH, Interest::READABLE)
            .unwrap();
        fresh_peer.write_all(b"f").unwrap();
        self.expect(&[Expect::new(FRESH, Interest::READABLE)]);
        assert_eq!(drain(&mut fresh), 1);
        self.poll.registry().deregister(&mut fresh).unwrap();
        self.poll
            .registry()
            .deregister(&mut self.bystander)
            .unwrap();
    }
}

/// A connected pair of Unix stream sockets: a non-blocking ferrio one and a std one.
fn unix_pair() -> (UnixStream, StdUnixStream) {
    let (a, b) = StdUnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    (UnixStream::from_std(a), b)
}

/// Reads until `WouldBlock`; returns the bytes read.
fn drain(source: &mut impl Read) -> usize {
    let mut buf = [0u8; 64];
    let mut total = 0;
    loop {
        match source.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A listener registered under `SUBJECT` with a client connected to it, its connection ready
/// to accept.
fn listener_with_client(world: &mut World) -> (TcpListener, TcpStream) {
    let mut listener = TcpListener::bind(local()).unwrap();
    world
        .registry()
        .register(&mut listener, SUBJECT, Interest::READABLE)
        .unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    (listener, client)
}

/// A connected TCP pair, the first registered under `SUBJECT` for both directions and with
/// `data` from the peer ready to read.
fn tcp_pair(world: &mut World, data: &[u8]) -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(local()).unwrap();
    let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    world
        .registry()
        .register(
            &mut stream,
            SUBJECT,
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let (mut peer, _) = world
        .until_ready(|| listener.accept())
        .expect("accept failed");
    if !data.is_empty() {
        peer.write_all(data).unwrap();
        world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    }
    (stream, peer)
}

/// Reads exactly `want` bytes from `stream`, polling while it would block.
fn read_exact(world: &mut World, stream: &mut TcpStream, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let mut buf = [0u8; 64];
        let n = world.until_ready(|| stream.read(&mut buf)).unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
    }
    got
}

// ------------------------------------------------------------------------------------------
// The poller and the Waker
// ------------------------------------------------------------------------------------------

fn poll_new(case: &Case) {
    case.arm();
    case.check(Poll::new());
    World::new().check();
}

fn waker_new(case: &Case) {
    let world = World::new();
    case.arm();
    case.check(Waker::new(world.registry(), WAKER));
    let waker = Waker::new(world.registry(), WAKER).unwrap();
    waker_works(world, &waker);
}

/// The Waker's event arrives, and the world is fine.
fn waker_works(mut world: World, waker: &Waker) {
    waker.wake().unwrap();
    world.expect(&[Expect::new(WAKER, Interest::READABLE)]);
    world.check();
}

/// A failed wake returns its error; the next one works.
fn wake_fails(case: &Case) {
    let world = World::new();
    let waker = Waker::new(world.registry(), WAKER).unwrap();
    case.arm();
    case.check(waker.wake());
    waker_works(world, &waker);
}

/// A full counter (`EAGAIN`) or an interrupted write (`EINTR`) is absorbed: the notifier
/// drains and writes again, or just writes again, and the wake-up arrives.
fn wake_absorbed(case: &Case) {
    let mut world = World::new();
    let waker = Waker::new(world.registry(), WAKER).unwrap();
    case.arm();
    waker.wake().unwrap();
    case.fired();
    world.expect(&[Expect::new(WAKER, Interest::READABLE)]);
    world.check();
}

/// poll(2) backend: a Waker fd that cannot be drained is still reported, and stays readable
/// (it is reported again later, which is harmless).
fn drain_fails(case: &Case) {
    let mut world = World::new();
    let waker = Waker::new(world.registry(), WAKER).unwrap();
    waker.wake().unwrap();
    case.arm();
    world.expect(&[Expect::new(WAKER, Interest::READABLE)]);
    case.fired();
    world.check();
}

/// The wait fails: `Poll::poll` returns the error untouched (`Interrupted` for `EINTR`, no
/// retry inside ferrio, as in mio), and the pending event comes with the next call.
fn poll_fails(case: &Case) {
    let mut world = World::new();
    case.arm();
    case.check(world.poll.poll(&mut world.events, None));
    world.check();
}

/// poll(2) backend: `EAGAIN` from poll(2) (the kernel short of memory) is retried inside,
/// and the call returns the pending event.
fn poll_retried(case: &Case) {
    let mut world = World::new();
    case.arm();
    world.poll.poll(&mut world.events, Some(TIMEOUT)).unwrap();
    case.fired();
    world.note();
    assert!(world.events.iter().any(|e| e.token() == BYSTANDER));
    world.check();
}

/// epoll: `epoll_pwait2` missing (ENOSYS, before Linux 5.11) or refused by a seccomp filter
/// (EPERM): the wait falls back to `epoll_wait` within the same `poll`, which returns the
/// pending event, and the fallback is remembered (a later sub-millisecond timeout does not
/// try the call again).
fn precise_fallback(case: &Case) {
    let mut world = World::new();
    assert!(fp::precise_timeouts(), "epoll_pwait2 already given up");
    case.arm();
    world
        .poll
        .poll(&mut world.events, Some(Duration::from_micros(1_500)))
        .unwrap();
    case.fired();
    world.note();
    assert!(
        world.bystander_seen,
        "the fallback wait lost the pending event"
    );
    assert!(
        !fp::precise_timeouts(),
        "the missing call was not remembered"
    );
    case.arm();
    world
        .poll
        .poll(&mut world.events, Some(Duration::from_micros(300)))
        .unwrap();
    assert_eq!(fp::armed(), 1, "epoll_pwait2 was tried again");
    fp::clear();
    fp::forget_missing_precise_timeouts();
    world.check();
}

/// epoll: any other `epoll_pwait2` error reaches the caller, and the call is not given up.
fn precise_fails(case: &Case) {
    let mut world = World::new();
    case.arm();
    case.check(
        world
            .poll
            .poll(&mut world.events, Some(Duration::from_micros(1_500))),
    );
    assert!(
        fp::precise_timeouts(),
        "a transient error gave epoll_pwait2 up"
    );
    world.check();
}

// ------------------------------------------------------------------------------------------
// Registration
// ------------------------------------------------------------------------------------------

fn register_fails(case: &Case) {
    let mut world = World::new();
    let (mut subject, mut peer) = unix_pair();
    case.arm();
    case.check(
        world
            .registry()
            .register(&mut subject, SUBJECT, Interest::READABLE),
    );
    // Not registered: registering now works, and reports.
    world
        .registry()
        .register(&mut subject, SUBJECT, Interest::READABLE)
        .unwrap();
    peer.write_all(b"s").unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    world.registry().deregister(&mut subject).unwrap();
    world.check();
}

/// A failed reregister (after a successful register: the plan fails the second call)
/// leaves the old registration in place (token and interests).
fn reregister_fails(case: &Case) {
    let mut world = World::new();
    let (mut subject, mut peer) = unix_pair();
    // The second call fails: the register's goes through.
    case.arm_nth(2);
    world
        .registry()
        .register(&mut subject, SUBJECT, Interest::READABLE)
        .unwrap();
    case.check(
        world
            .registry()
            .reregister(&mut subject, FRESH, Interest::WRITABLE),
    );
    peer.write_all(b"s").unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    drain(&mut subject);
    world
        .registry()
        .reregister(&mut subject, SUBJECT, Interest::READABLE)
        .unwrap();
    world.registry().deregister(&mut subject).unwrap();
    world.check();
}

/// epoll says the fd is not registered (`ENOENT`): ferrio names the mistake (NotFound, "not
/// registered") and keeps the OS error as the source.
fn reregister_not_found(case: &Case) {
    let world = World::new();
    let (mut subject, _peer) = unix_pair();
    world
        .registry()
        .register(&mut subject, SUBJECT, Interest::READABLE)
        .unwrap();
    case.arm();
    let err = world
        .registry()
        .reregister(&mut subject, SUBJECT, Interest::WRITABLE)
        .unwrap_err();
    case.fired();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("not registered"), "{err}");
    assert_eq!(os_source(&err), Some(case.errno));
    world.registry().deregister(&mut subject).unwrap();
    world.check();
}

/// `EEXIST` from epoll: ferrio names it (AlreadyExists, "already registered"), OS error kept.
fn register_exists(case: &Case) {
    let world = World::new();
    let (mut subject, _peer) = unix_pair();
    case.arm();
    let err = world
        .registry()
        .register(&mut subject, SUBJECT, Interest::READABLE)
        .unwrap_err();
    case.fired();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("already registered"), "{err}");
    assert_eq!(os_source(&err), Some(case.errno));
    world.check();
}

/// A failed deregister leaves the source registered: it still reports, and deregistering
/// again works.
fn deregister_fails(case: &Case) {
    let mut world = World::new();
    let (mut subject, mut peer) = unix_pair();
    world
        .registry()
        .register(&mut subject, SUBJECT, Interest::READABLE)
        .unwrap();
    case.arm();
    case.check(world.registry().deregister(&mut subject));
    peer.write_all(b"s").unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    world.registry().deregister(&mut subject).unwrap();
    world.check();
}

/// The OS code of the error ferrio wrapped (`RegistrationError::source`).
fn os_source(err: &io::Error) -> Option<i32> {
    let inner = err.get_ref()?;
    let source = std::error::Error::source(inner)?;
    source.downcast_ref::<io::Error>()?.raw_os_error()
}

macro_rules! case {
    ($name:literal, $point:literal, $errno:ident, $on:ident, $run:path) => {
        $crate::Case {
            name: $name,
            point: $point,
            errno: libc::$errno,
            on: $crate::On::$on,
            run: $run,
        }
    };
}

mod sockets;
use self::sockets::SOCKET_CASES;
mod sources;
mod udp_batch;
use self::udp_batch::UDP_BATCH_CASES;

/// The poller, Waker and registration cases.
#[rustfmt::skip]
const POLLER_CASES: &[Case] = &[
    case!("Poll::new, epoll_create1 EMFILE", "epoll_create1", EMFILE, Epoll, poll_new),
    case!("Poll::new, epoll_create1 ENFILE", "epoll_create1", ENFILE, Epoll, poll_new),
    case!("Poll::new, epoll_create1 ENOMEM", "epoll_create1", ENOMEM, Epoll, poll_new),
    case!("Poll::new, eventfd EMFILE", "eventfd", EMFILE, PollOnly, poll_new),
    case!("Poll::new, eventfd ENFILE", "eventfd", ENFILE, PollOnly, poll_new),
    case!("Waker::new, eventfd EMFILE", "eventfd", EMFILE, Both, waker_new),
    case!("Waker::new, eventfd ENOMEM", "eventfd", ENOMEM, Both, waker_new),
    case!("Waker::new, epoll_ctl ENOSPC", "epoll_ctl", ENOSPC, Epoll, waker_new),
    case!("Waker::new, epoll_ctl ENOMEM", "epoll_ctl", ENOMEM, Epoll, waker_new),
    case!("wake, write ENOSPC", "notify_write", ENOSPC, Both, wake_fails),
    case!("wake, write EIO", "notify_write", EIO, Both, wake_fails),
    case!("wake, write EAGAIN (full counter)", "notify_write", EAGAIN, Both, wake_absorbed),
    case!("wake, write EINTR", "notify_write", EINTR, Both, wake_absorbed),
    case!("poll, Waker drain EIO", "notify_read", EIO, PollOnly, drain_fails),
    case!("poll, epoll_wait EINTR", "epoll_wait", EINTR, Epoll, poll_fails),
    case!("poll, epoll_wait EBADF", "epoll_wait", EBADF, Epoll, poll_fails),
    case!("poll, epoll_pwait2 ENOSYS", "epoll_pwait2", ENOSYS, Epoll, precise_fallback),
    case!("poll, epoll_pwait2 EPERM (seccomp)", "epoll_pwait2", EPERM, Epoll, precise_fallback),
    case!("poll, epoll_pwait2 EINTR", "epoll_pwait2", EINTR, Epoll, precise_fails),
    case!("poll, epoll_pwait2 EBADF", "epoll_pwait2", EBADF, Epoll, precise_fails),
    case!("poll, poll(2) EINTR", "poll", EINTR, PollOnly, poll_fails),
    case!("poll, poll(2) ENOMEM", "poll", ENOMEM, PollOnly, poll_fails),
    case!("poll, poll(2) EAGAIN", "poll", EAGAIN, PollOnly, poll_retried),
    case!("register, epoll_ctl ENOMEM", "epoll_ctl", ENOMEM, Epoll, register_fails),
    case!("register, epoll_ctl ENOSPC (watch limit)", "epoll_ctl", ENOSPC, Epoll, register_fails),
    case!("register, epoll_ctl EEXIST", "epoll_ctl", EEXIST, Epoll, register_exists),
    case!("reregister, epoll_ctl ENOMEM", "epoll_ctl", ENOMEM, Epoll, reregister_fails),
    case!("reregister, epoll_ctl ENOENT", "epoll_ctl", ENOENT, Epoll, reregister_not_found),
    case!("deregister, epoll_ctl ENOMEM", "epoll_ctl", ENOMEM, Epoll, deregister_fails),
];

/// The other cases of `ferrio::sources`.
#[rustfmt::skip]
const SOURCE_CASES: &[Case] = &[
    case!("Signals::new, eventfd EMFILE", "eventfd", EMFILE, Both, sources::signals_new),
    case!("ChildExit::new, pidfd_open ENOSYS", "pidfd_open", ENOSYS, Both, sources::pidfd_fallback),
    case!("ChildExit::new, pidfd_open EPERM (seccomp)", "pidfd_open", EPERM, Both, sources::pidfd_fallback),
    case!("ChildExit::new, pidfd_open EMFILE", "pidfd_open", EMFILE, Both, sources::pidfd_fails),
    case!("ChildExit::exited, waitid EINTR", "waitid", EINTR, Both, sources::waitid_retried),
];

/// The cases of `ferrio::sources::Timer` over timerfd (Linux's timers).
#[cfg(not(ferrio_force_soft_timer))]
#[rustfmt::skip]
const TIMER_CASES: &[Case] = &[
    case!("Timer::new, timerfd_create EMFILE", "timerfd_create", EMFILE, Both, sources::timer_new),
    case!("Timer::set_oneshot, timerfd_settime EINVAL", "timerfd_settime", EINVAL, Both, sources::timer_set),
    case!("Timer::expirations, read EIO", "timer_read", EIO, Both, sources::timer_read),
];

/// The same cases over the clock-thread timers (`--cfg ferrio_force_soft_timer`), whose
/// timer is an eventfd notifier: made by `eventfd`, drained (`notify_read`) when it is set
/// and when it is read.
#[cfg(ferrio_force_soft_timer)]
#[rustfmt::skip]
const TIMER_CASES: &[Case] = &[
    case!("Timer::new (clock thread), eventfd EMFILE", "eventfd", EMFILE, Both, sources::timer_new),
    case!("Timer::set_oneshot (clock thread), notifier read EIO", "notify_read", EIO, Both, sources::timer_set),
    case!("Timer::expirations (clock thread), notifier read EIO", "notify_read", EIO, Both, sources::timer_read),
];

/// Every case.
pub fn cases() -> impl Iterator<Item = &'static Case> {
    POLLER_CASES
        .iter()
        .chain(SOCKET_CASES)
        .chain(UDP_BATCH_CASES)
        .chain(TIMER_CASES)
        .chain(SOURCE_CASES)
}
