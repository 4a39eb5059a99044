//! Unit tests of the event ports bookkeeping (`table.rs`), run on every Unix: the system calls
//! are closures that record what they are asked, or fail.

use super::*;
use crate::sys::unix::edge::{blocked_bits, interest_bits, POLLRDHUP};
use crate::Interest;

const R: PollBits = libc::POLLIN | POLLRDHUP;
const W: PollBits = libc::POLLOUT;
const RW: PollBits = R | W;

/// Records the associations asked for.
#[derive(Default)]
struct Kernel {
    made: Vec<Assoc>,
}

impl Kernel {
    fn associate(&mut self) -> impl FnMut(Assoc) -> io::Result<()> + '_ {
        |a| {
            self.made.push(a);
            Ok(())
        }
    }
    fn take(&mut self) -> Vec<Assoc> {
        std::mem::take(&mut self.made)
    }
}

/// The file an fd names in these tests (unless a test says otherwise).
fn file(fd: RawFd) -> FileId {
    (1, fd as u64)
}

fn refuse(errno: i32) -> impl FnMut(Assoc) -> io::Result<()> {
    move |_| Err(io::Error::from_raw_os_error(errno))
}

fn fd_event(fd: RawFd, events: PollBits, key: usize) -> Event {
    Event::raw(PORT_SOURCE_FD, events, fd as usize, key)
}

fn reports(events: &[Event]) -> Vec<(usize, bool, bool)> {
    events
        .iter()
        .map(|e| (e.token().0, e.is_readable(), e.is_writable()))
        .collect()
}

/// A table with `fd` registered for `interests` under `token`; returns its key.
fn with(t: &mut Table, fd: RawFd, token: usize, interests: PollBits) -> usize {
    let mut k = Kernel::default();
    t.add(fd, file(fd), Token(token), interests, k.associate())
        .unwrap();
    let made = k.take();
    assert_eq!(made.len(), 1);
    assert_eq!((made[0].fd, made[0].bits), (fd, interests));
    made[0].key
}

#[test]
fn register_reregister_deregister() {
    let mut t = Table::new();
    let key = with(&mut t, 5, 1, R);
    assert_ne!(key, 0);
    assert_eq!(t.get(5), Some((1, R, R, key)));
    // Twice: refused before any system call.
    let e = t
        .add(5, file(5), Token(2), W, |_| {
            unreachable!("associated twice")
        })
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(
        t.add(-1, file(1), Token(1), R, |_| unreachable!())
            .unwrap_err()
            .raw_os_error(),
        Some(libc::EBADF)
    );
    // A failed association leaves nothing behind.
    let e = t
        .add(6, file(6), Token(6), R, refuse(libc::EAGAIN))
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    assert_eq!(t.get(6), None);

    // Reregister keeps the key and associates everything it asks for.
    let mut k = Kernel::default();
    t.reregister(5, Token(9), RW, k.associate()).unwrap();
    assert_eq!(
        k.take(),
        [Assoc {
            fd: 5,
            bits: RW,
            key
        }]
    );
    assert_eq!(t.get(5), Some((9, RW, RW, key)));
    // A failed one changes nothing.
    t.reregister(5, Token(3), W, refuse(libc::ENOMEM))
        .unwrap_err();
    assert_eq!(t.get(5), Some((9, RW, RW, key)));
    for e in [
        t.reregister(7, Token(1), R, |_| unreachable!())
            .unwrap_err(),
        t.remove(7, |_| unreachable!()).unwrap_err(),
    ] {
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    // Deregister dissociates; ENOENT (the association fired meanwhile) is fine.
    let mut asked = Vec::new();
    t.remove(5, |fd| {
        asked.push(fd);
        Err(io::Error::from_raw_os_error(libc::ENOENT))
    })
    .unwrap();
    assert_eq!(asked, [5]);
    assert_eq!(t.get(5), None);
    // Another error is returned, but the entry is gone: the number can be registered again.
    let key2 = with(&mut t, 5, 1, W);
    assert_ne!(key2, key, "a new registration, a new key");
    let e = t
        .remove(5, |_| Err(io::Error::from_raw_os_error(libc::EBADF)))
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    assert_eq!(t.get(5), None);
    // Nothing associated: no system call. Forgetting makes none either.
    with(&mut t, 5, 1, W);
    let mut events = vec![fd_event(5, libc::POLLOUT, t.get(5).unwrap().3)];
    t.translate(&mut events, |_| unreachable!("nothing left to associate"));
    t.remove(5, |_| unreachable!("nothing is associated"))
        .unwrap();
    with(&mut t, 5, 1, W);
    assert!(t.forget(5) && !t.forget(5));
}

#[test]
fn a_report_disarms_and_associates_the_rest_again() {
    let mut t = Table::new();
    let key = with(&mut t, 4, 7, RW);
    let mut k = Kernel::default();
    let mut events = Vec::with_capacity(4);
    events.push(fd_event(4, libc::POLLOUT, key));
    let found = t.translate(&mut events, k.associate());
    assert_eq!(found, Translated { disarmed: true });
    assert_eq!(reports(&events), [(7, false, true)]);
    // The port dropped the association when it fired: the reading half goes back at once.
    assert_eq!(
        k.take(),
        [Assoc {
            fd: 4,
            bits: R,
            key
        }]
    );
    assert_eq!(t.get(4).unwrap().2, R);

    // Then data: POLLRDHUP (where it exists) stays associated, as on poll(2).
    events.clear();
    events.push(fd_event(4, libc::POLLIN, key));
    t.translate(&mut events, k.associate());
    assert_eq!(reports(&events), [(7, true, false)]);
    let rest = POLLRDHUP;
    assert_eq!(t.get(4).unwrap().2, rest);
    let expected: Vec<Assoc> = if rest == 0 {
        Vec::new()
    } else {
        vec![Assoc {
            fd: 4,
            bits: rest,
            key,
        }]
    };
    assert_eq!(k.take(), expected);

    // `do_io` re-arms what blocked: one association with everything armed now.
    let wanted = blocked_bits(Interest::READABLE);
    assert_eq!(t.rearm(4, wanted, k.associate()).unwrap(), Some(R));
    assert_eq!(
        k.take(),
        [Assoc {
            fd: 4,
            bits: R,
            key
        }]
    );
    // Still armed: no system call.
    assert_eq!(t.rearm(4, wanted, |_| unreachable!()).unwrap(), Some(R));
    // A direction not registered for changes nothing... (POLLPRI is not in R)
    assert_eq!(
        t.rearm(4, libc::POLLPRI, |_| unreachable!()).unwrap(),
        Some(R)
    );
    // ...and an unknown fd is ignored.
    assert_eq!(t.rearm(40, R, |_| unreachable!()).unwrap(), None);
    assert_eq!(t.rearm(-1, R, |_| unreachable!()).unwrap(), None);
    // A re-arm that fails returns the error and leaves what was armed.
    t.translate(&mut vec![fd_event(4, libc::POLLIN, key)], k.associate());
    k.take();
    let before = t.get(4).unwrap().2;
    let e = t.rearm(4, W | R, refuse(libc::EAGAIN)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    assert_eq!(t.get(4).unwrap().2, before);
    assert_eq!(
        t.rearm(4, W | R, k.associate()).unwrap(),
        Some(RW),
        "registered for both directions"
    );
}

#[test]
fn hang_ups_and_errors_disarm_everything() {
    for fatal in [
        libc::POLLHUP,
        libc::POLLERR,
        libc::POLLIN | libc::POLLHUP,
        libc::POLLOUT | libc::POLLERR,
    ] {
        let mut t = Table::new();
        let key = with(&mut t, 3, 1, RW);
        let mut events = vec![fd_event(3, fatal, key)];
        let found = t.translate(&mut events, |_| unreachable!("nothing to associate"));
        assert!(found.disarmed);
        assert_eq!(events.len(), 1);
        assert_eq!(t.get(3).unwrap().2, 0);
        let e = &events[0];
        assert_eq!(e.is_error(), fatal & libc::POLLERR != 0);
        assert_eq!(e.is_read_closed(), fatal & libc::POLLHUP != 0);
        // Re-armed by the next `WouldBlock`, as after any report.
        let mut k = Kernel::default();
        assert_eq!(t.rearm(3, W, k.associate()).unwrap(), Some(W));
        assert_eq!(
            k.take(),
            [Assoc {
                fd: 3,
                bits: W,
                key
            }]
        );
    }
}

#[test]
fn stale_and_unknown_events_report_nothing() {
    let mut t = Table::new();
    let old = with(&mut t, 8, 1, RW);
    t.remove(8, |_| Ok(())).unwrap();
    let key = with(&mut t, 8, 2, R);
    let mut k = Kernel::default();
    // An event of the earlier registration: nothing reported, nothing disarmed, and the
    // current association made again in case the port took it along.
    let mut events = vec![fd_event(8, libc::POLLOUT, old)];
    let found = t.translate(&mut events, k.associate());
    assert!(events.is_empty());
    assert!(!found.disarmed);
    assert_eq!(
        k.take(),
        [Assoc {
            fd: 8,
            bits: R,
            key
        }]
    );
    // An event of a direction the registration no longer asks for (reregistered meanwhile):
    // the same.
    t.reregister(8, Token(2), W, k.associate()).unwrap();
    k.take();
    events.push(fd_event(8, libc::POLLIN, key));
    t.translate(&mut events, k.associate());
    assert!(events.is_empty());
    assert_eq!(
        k.take(),
        [Assoc {
            fd: 8,
            bits: W,
            key
        }]
    );
    // Unknown fds, other sources, a Waker that is gone, and the empty slot: dropped.
    let (id, _) = t.add_waker(Token(5));
    t.remove_waker(id);
    events.extend([
        fd_event(9, libc::POLLIN, key),
        fd_event(-1, libc::POLLIN, key),
        Event::raw(PORT_SOURCE_USER, libc::POLLIN, 0, id),
        Event::raw(7, libc::POLLIN, 0, 1),
        Event::EMPTY,
    ]);
    t.translate(&mut events, |_| unreachable!());
    assert!(events.is_empty());
}

#[test]
fn an_association_that_fails_is_reported_as_ready() {
    let mut t = Table::new();
    let key = with(&mut t, 6, 1, RW | libc::POLLPRI);
    let mut events = vec![fd_event(6, libc::POLLOUT, key)];
    let found = t.translate(&mut events, refuse(libc::EAGAIN));
    assert!(found.disarmed);
    // The reading half could not be watched again: it is reported, so that the reader tries,
    // finds `WouldBlock` and re-arms (or gets the error then).
    let e = &events[0];
    assert!(e.is_writable() && e.is_readable() && e.is_priority());
    assert!(!e.is_read_closed() && !e.is_error());
    assert_eq!(t.get(6).unwrap().2, 0);
}

#[test]
fn wakers_report_their_token_and_clear_their_flag() {
    let mut t = Table::new();
    let key = with(&mut t, 3, 1, R);
    let (a, pending_a) = t.add_waker(Token(usize::MAX));
    let (b, pending_b) = t.add_waker(Token(1));
    assert_ne!(a, b);
    *pending_a.lock().unwrap() = true;
    *pending_b.lock().unwrap() = true;
    let mut events = Vec::with_capacity(3);
    events.extend([
        Event::raw(PORT_SOURCE_USER, libc::POLLIN, 0, a),
        fd_event(3, libc::POLLIN, key),
        Event::raw(PORT_SOURCE_USER, libc::POLLIN, 0, b),
    ]);
    t.translate(&mut events, |_| Ok(()));
    // In the order fetched; tokens bit-exact; the buffer did not grow.
    assert_eq!(
        reports(&events),
        [
            (usize::MAX, true, false),
            (1, true, false),
            (1, true, false)
        ]
    );
    assert_eq!(events.capacity(), 3);
    assert!(!*pending_a.lock().unwrap() && !*pending_b.lock().unwrap());
}

#[test]
fn translation_compacts_in_place() {
    let mut t = Table::new();
    let mut keys = Vec::new();
    for fd in 10..20 {
        keys.push(with(&mut t, fd, fd as usize, W));
    }
    // Every other event is stale: the kept ones move to the front, in order.
    let mut events: Vec<Event> = (10..20)
        .zip(&keys)
        .map(|(fd, &key)| fd_event(fd, libc::POLLOUT, if fd % 2 == 0 { key } else { 0 }))
        .collect();
    t.translate(&mut events, |_| Ok(()));
    let tokens: Vec<usize> = events.iter().map(|e| e.token().0).collect();
    assert_eq!(tokens, [10, 12, 14, 16, 18]);
    assert!(events.iter().all(EventApi::is_writable));
}

#[test]
fn interests_map_to_poll_bits() {
    // The bits associated are those of `edge/`: the same as the poll(2) backend's.
    assert_eq!(interest_bits(Interest::READABLE), R);
    assert_eq!(interest_bits(Interest::WRITABLE), W);
    let e = fd_event(1, libc::POLLIN | libc::POLLPRI, 0);
    assert!(e.is_readable() && e.is_priority());
}

#[test]
fn waits_are_cut_from_the_timeout() {
    let now = Instant::now();
    assert_eq!(wait_for(None, None, true), Some(None));
    assert_eq!(wait_for(None, None, false), Some(None));
    let t = Duration::from_millis(1500);
    assert_eq!(wait_for(Some(t), Some(now + t), true), Some(Some(t)));
    assert_eq!(
        wait_for(Some(Duration::ZERO), None, true),
        Some(Some(Duration::ZERO))
    );
    assert_eq!(wait_for(Some(Duration::ZERO), None, false), None);
    assert_eq!(wait_for(Some(t), Some(now), false), None);
    let left = wait_for(Some(t), Some(now + t), false).unwrap().unwrap();
    assert!(left <= t && left > Duration::from_millis(500), "{left:?}");
    // A deadline that overflowed `Instant`: every wait takes the whole timeout.
    assert_eq!(
        wait_for(Some(Duration::MAX), None, false),
        Some(Some(Duration::MAX))
    );
}

#[test]
fn a_closed_fd_number_reused_by_another_file_registers() {
    // A `SourceFd` closed without deregistering: the kernel dropped its association, the
    // table did not see it. The next file under that number registers all the same.
    let mut t = Table::new();
    let old = with(&mut t, 5, 1, R);
    let mut k = Kernel::default();
    t.add(5, (1, 99), Token(2), W, k.associate()).unwrap();
    let made = k.take();
    assert_eq!(made.len(), 1);
    let key = made[0].key;
    assert_ne!(key, old);
    assert_eq!(t.get(5), Some((2, W, W, key)));
    // Events of the old registration report nothing; the new one's report its token.
    let mut events = vec![
        fd_event(5, libc::POLLIN, old),
        fd_event(5, libc::POLLOUT, key),
    ];
    t.translate(&mut events, |_| Ok(()));
    assert_eq!(reports(&events), [(2, false, true)]);
    // The same file twice is refused.
    let e = t
        .add(5, (1, 99), Token(3), R, |_| unreachable!())
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
}
