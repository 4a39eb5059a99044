//! Hang-ups and errors that arrive after a data event (issue 13, item 1).
//!
//! A stream registered for READABLE | WRITABLE has reported readable (and writable), and the
//! data was left unread. A later shutdown of the reading half, a full hang-up or a reset is a
//! new condition: every backend must report it once, and must not report the unread data again
//! on its own. epoll sees it as a new edge; the poll(2) backend, which stops watching a
//! direction once it was reported, keeps watching what was not reported yet (POLLRDHUP, which
//! only Linux and Android have, and the hang-up and error conditions).
//!
//! Run against poll(2) with `RUSTFLAGS="--cfg ferrio_force_poll" cargo test --test hangup_events`.
#![cfg(all(unix, feature = "net", feature = "os-poll"))]

mod net_common;
mod util;

use std::io::{self, Read, Write};
use std::net::Shutdown;

use ferrio::event::Source;
use ferrio::net::{TcpStream, UnixStream};
use ferrio::{Events, Interest, Poll, Token};
use net_common::tcp_pair;
use util::{expect_event_where, expect_events, expect_no_events, Expect, Seen};

const LOCAL: Token = Token(1);

/// What the tests need of a stream, for TCP and Unix streams alike.
trait Stream: Source + Read + Write {
    fn shut(&self, how: Shutdown) -> io::Result<()>;
    fn error(&self) -> io::Result<Option<io::Error>>;
}

impl Stream for TcpStream {
    fn shut(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown(how)
    }
    fn error(&self) -> io::Result<Option<io::Error>> {
        self.take_error()
    }
}

impl Stream for UnixStream {
    fn shut(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown(how)
    }
    fn error(&self) -> io::Result<Option<io::Error>> {
        self.take_error()
    }
}

fn tcp() -> (Poll, Events, TcpStream, TcpStream) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (local, peer) = tcp_pair(&mut poll, &mut events);
    (poll, events, local, peer)
}

fn unix() -> (Poll, Events, UnixStream, UnixStream) {
    let (local, peer) = UnixStream::pair().unwrap();
    (Poll::new().unwrap(), Events::with_capacity(16), local, peer)
}

/// Registers `local` for READABLE | WRITABLE and waits for it to report writable.
fn register_writable<S: Stream>(poll: &mut Poll, events: &mut Events, local: &mut S) {
    poll.registry()
        .register(local, LOCAL, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(poll, events, &[Expect::new(LOCAL, Interest::WRITABLE)]);
}

/// Registers `local`, waits for writable, then for the readable event of a byte from `peer`,
/// which is left unread; nothing more is reported while nothing else happens.
fn readable_not_drained<S: Stream>(
    poll: &mut Poll,
    events: &mut Events,
    local: &mut S,
    peer: &mut S,
) {
    register_writable(poll, events, local);
    peer.write_all(b"x").unwrap();
    expect_events(poll, events, &[Expect::new(LOCAL, Interest::READABLE)]);
    expect_no_events(poll, events, &[LOCAL]);
}

/// Waits for an event of `LOCAL` that satisfies `pred`, then checks that it is not repeated.
#[track_caller]
fn expect_once(poll: &mut Poll, events: &mut Events, what: &str, pred: fn(&Seen) -> bool) {
    expect_first(poll, events, what, pred);
    // The data is still unread, and the condition persists: neither is reported again.
    expect_no_events(poll, events, &[LOCAL]);
}

/// Waits for an event of `LOCAL` that satisfies `pred`.
#[track_caller]
fn expect_first(poll: &mut Poll, events: &mut Events, what: &str, pred: fn(&Seen) -> bool) {
    expect_event_where(poll, events, what, |e| {
        e.token() == LOCAL && pred(&Seen::from(e))
    });
}

fn hung_up(s: &Seen) -> bool {
    s.read_closed && s.write_closed
}

fn reset(s: &Seen) -> bool {
    s.error && s.write_closed
}

/// Shutting down the reading half is reported where the system says so: by epoll and kqueue,
/// and by poll(2) where POLLRDHUP exists (event ports, on Solaris, have none).
macro_rules! shutdown_read_test {
    ($(#[$attr:meta])* $name:ident, $setup:ident) => {
        #[cfg(any(not(any(ferrio_poll, ferrio_ports)), target_os = "linux", target_os = "android"))]
        #[test]
        $(#[$attr])*
        fn $name() {
            let (mut poll, mut events, mut local, mut peer) = $setup();
            readable_not_drained(&mut poll, &mut events, &mut local, &mut peer);
            local.shut(Shutdown::Read).unwrap();
            expect_once(&mut poll, &mut events, "read closed", |s| s.read_closed);
        }
    };
}

shutdown_read_test!(
    #[cfg_attr(
        miri,
        ignore = "Miri's socketpair has no send(2), which UnixStream writes with"
    )]
    unix_local_shutdown_read_after_unread_readable,
    unix
);
shutdown_read_test!(tcp_local_shutdown_read_after_unread_readable, tcp);

/// The peer closes: a Unix stream hangs up entirely; TCP sees the peer's FIN (the reading
/// half is shut), which poll(2) reports as POLLRDHUP where it exists.
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's socketpair has no send(2), which UnixStream writes with"
)]
fn unix_peer_close_after_unread_readable() {
    let (mut poll, mut events, mut local, mut peer) = unix();
    readable_not_drained(&mut poll, &mut events, &mut local, &mut peer);
    drop(peer);
    expect_once(&mut poll, &mut events, "hang-up", hung_up);
}

#[cfg(any(
    not(any(ferrio_poll, ferrio_ports)),
    target_os = "linux",
    target_os = "android"
))]
#[test]
fn tcp_peer_close_after_unread_readable() {
    let (mut poll, mut events, mut local, mut peer) = tcp();
    readable_not_drained(&mut poll, &mut events, &mut local, &mut peer);
    drop(peer);
    expect_once(&mut poll, &mut events, "read closed", |s| s.read_closed);
}

/// The reading half reported shut, then the peer goes away: the full hang-up is a new
/// condition and is reported too.
#[cfg(any(
    not(any(ferrio_poll, ferrio_ports)),
    target_os = "linux",
    target_os = "android"
))]
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's socketpair has no send(2), which UnixStream writes with"
)]
fn unix_hang_up_after_read_closed() {
    let (mut poll, mut events, mut local, mut peer) = unix();
    readable_not_drained(&mut poll, &mut events, &mut local, &mut peer);
    local.shut(Shutdown::Read).unwrap();
    expect_once(&mut poll, &mut events, "read closed", |s| s.read_closed);
    drop(peer);
    expect_once(&mut poll, &mut events, "hang-up", |s| s.write_closed);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's socketpair has no send(2), which UnixStream writes with"
)]
fn unix_local_shutdown_both_after_unread_readable() {
    let (mut poll, mut events, mut local, mut peer) = unix();
    readable_not_drained(&mut poll, &mut events, &mut local, &mut peer);
    local.shut(Shutdown::Both).unwrap();
    expect_once(&mut poll, &mut events, "hang-up", hung_up);
}

#[test]
fn tcp_local_shutdown_both_after_unread_readable() {
    let (mut poll, mut events, mut local, mut peer) = tcp();
    readable_not_drained(&mut poll, &mut events, &mut local, &mut peer);
    local.shut(Shutdown::Both).unwrap();
    if cfg!(any(ferrio_poll, ferrio_ports)) {
        expect_once(&mut poll, &mut events, "hang-up", hung_up);
    } else {
        // epoll and kqueue report every later step of TCP's closing handshake (the peer's
        // acknowledgement of our FIN) as another event.
        expect_first(&mut poll, &mut events, "hang-up", hung_up);
    }
}

/// WRITABLE reported, then the peer resets the connection (TCP: a zero linger makes the close
/// send RST).
#[test]
#[cfg_attr(miri, ignore = "Miri does not emulate SO_LINGER")]
fn tcp_peer_reset_after_writable() {
    let (mut poll, mut events, mut local, peer) = tcp();
    register_writable(&mut poll, &mut events, &mut local);
    peer.set_zero_linger().unwrap();
    drop(peer);
    expect_once(&mut poll, &mut events, "reset", reset);
    let err = local.error().unwrap().expect("a pending error");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET), "{err}");
}

/// WRITABLE reported, then the peer of a Unix stream closes with data of ours unread, which
/// resets the connection.
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's socketpair has no send(2), which UnixStream writes with"
)]
fn unix_peer_reset_after_writable() {
    let (mut poll, mut events, mut local, peer) = unix();
    register_writable(&mut poll, &mut events, &mut local);
    local.write_all(b"never read").unwrap();
    drop(peer);
    expect_once(&mut poll, &mut events, "reset", reset);
    let err = local.error().unwrap().expect("a pending error");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET), "{err}");
}
