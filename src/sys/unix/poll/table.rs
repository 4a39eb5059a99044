//! The registration table of the poll(2) selector: the `pollfd` array handed to poll(2) as is,
//! and beside it what each slot means (fd, token, registered interests, Waker or source).
//!
//! This file is pure bookkeeping with no system calls, so the edge-triggered emulation
//! (disarm on report, re-arm on demand), the capacity limit and the rotation of the scan start
//! are unit-tested directly.
//!
//! Arming: a slot's `pollfd.events` holds the directions still armed, a subset of the
//! registered interests. Once every direction was reported, `events` is 0, but poll(2) still
//! reports POLLHUP, POLLERR and POLLNVAL for the fd: a later hang-up or error is delivered once,
//! like a new edge on epoll. A slot that reported one of those is disarmed entirely by storing
//! its fd negated (`!fd`), which poll(2) skips, so a hung-up fd cannot make poll spin. Re-arming
//! (`rearm`, `reregister`) restores the fd.

use std::io;
use std::os::fd::RawFd;

use libc::{c_short, pollfd};

use super::{peer_shut_down, Event, POLLPRI, POLLRDHUP};
use crate::sys::{already_registered, not_registered};
use crate::{Interest, Token};

/// `by_fd` value of an fd number that has no slot.
const NONE: u32 = u32::MAX;

/// Bits that end an fd's readiness for every direction until it is re-armed.
const FATAL: c_short = libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;

/// What a user slot of the table watches: a registered `Source` (disarmed in the directions
/// reported, re-armed on demand) or a `Waker`'s notifier (drained when reported, never
/// disarmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlotKind {
    Source,
    Waker,
}

#[derive(Debug)]
struct Entry {
    fd: RawFd,
    token: Token,
    /// Everything the registration asked for (what a full re-arm restores).
    interests: c_short,
    /// What the slot watches.
    kind: SlotKind,
    /// poll(2) said the fd is not open (POLLNVAL): the slot is removed once reported.
    closed: bool,
}

/// What [`Table::collect`] found besides the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Collected {
    /// The internal notifier (slot 0) was readable.
    pub(super) woken: bool,
    /// At least one source was reported, and so disarmed in some direction.
    pub(super) disarmed: bool,
}

#[derive(Debug)]
pub(super) struct Table {
    /// Slot 0 is the selector's internal notifier; user slots are 1.. .
    pollfds: Vec<pollfd>,
    /// `entries[i]` describes `pollfds[i]`.
    entries: Vec<Entry>,
    /// fd number -> slot index (`NONE` if that fd has no slot). Grows with the largest fd
    /// registered; indexing by fd avoids hashing on every operation. `u32` halves its size
    /// against `usize`: every slot holds a distinct fd number, and fd numbers are
    /// non-negative `c_int`s, so a slot index is always below `u32::MAX`.
    by_fd: Vec<u32>,
    /// Offset (among user slots) where the next scan of the results starts, so that a full
    /// events buffer cannot starve the slots at the end of the array.
    start: usize,
    /// Set by the polling thread while it waits on the condition variable for modifiers, so
    /// that modifiers only signal the condition variable when somebody waits on it.
    pub(super) poller_parked: bool,
}

/// The poll(2) bits that registered interests stand for.
pub(super) fn interest_bits(interests: Interest) -> c_short {
    let mut bits = 0;
    if interests.is_readable() {
        bits |= libc::POLLIN | POLLRDHUP;
    }
    if interests.is_writable() {
        bits |= libc::POLLOUT;
    }
    if interests.is_priority() {
        bits |= POLLPRI;
    }
    bits
}

/// The poll(2) bits to re-arm for the directions an operation found blocked. A blocked read
/// also re-arms PRIORITY, since both are reported as readable.
pub(super) fn blocked_bits(blocked: Interest) -> c_short {
    let bits = interest_bits(blocked);
    if blocked.is_readable() {
        bits | POLLPRI
    } else {
        bits
    }
}

/// What is still armed after `revents` was reported for a slot armed with `armed`.
///
/// Readable data (POLLIN) disarms POLLIN only: POLLRDHUP stays armed, so that a later
/// shutdown of the reading half (by the peer, or locally) is still reported once, as epoll
/// reports it as a new edge. poll(2) reports POLLRDHUP only while it is asked for and, unlike
/// POLLIN, only once the reading half is shut, so watching it cannot repeat the data event.
// Without POLLPRI (WASI) its mask below is zero.
#[cfg_attr(ferrio_no_pollpri, allow(clippy::bad_bit_mask))]
pub(super) fn disarm(armed: c_short, revents: c_short) -> c_short {
    if revents & FATAL != 0 {
        return 0;
    }
    let mut clear = 0;
    if peer_shut_down(revents) {
        clear |= libc::POLLIN | POLLRDHUP;
    } else if revents & libc::POLLIN != 0 {
        clear |= libc::POLLIN;
    }
    if revents & POLLPRI != 0 {
        clear |= POLLPRI;
    }
    if revents & libc::POLLOUT != 0 {
        clear |= libc::POLLOUT;
    }
    armed & !clear
}

/// Arms `armed` (the fd is watched again even if `armed` is 0, for hang-ups and errors).
fn set_armed(pfd: &mut pollfd, fd: RawFd, armed: c_short) {
    pfd.events = armed;
    pfd.fd = fd;
}

/// Disarms a slot entirely: poll(2) skips a negative fd, reporting nothing for it.
fn set_dead(pfd: &mut pollfd, fd: RawFd) {
    pfd.events = 0;
    pfd.fd = !fd;
}

impl Table {
    /// A table whose slot 0 watches the internal notifier `notify_fd`.
    pub(super) fn new(notify_fd: RawFd) -> Table {
        Table {
            pollfds: vec![pollfd {
                fd: notify_fd,
                events: libc::POLLIN,
                revents: 0,
            }],
            entries: vec![Entry {
                fd: notify_fd,
                token: Token(0),
                interests: libc::POLLIN,
                // Drained like a Waker's, but never looked up by fd nor scanned by `collect`.
                kind: SlotKind::Waker,
                closed: false,
            }],
            by_fd: Vec::new(),
            start: 0,
            poller_parked: false,
        }
    }

    fn slot(&self, fd: RawFd) -> Option<usize> {
        let i = *self.by_fd.get(usize::try_from(fd).ok()?)?;
        (i != NONE).then_some(i as usize)
    }

    /// The slot of `fd`, if it is of that kind.
    fn slot_of(&self, fd: RawFd, kind: SlotKind) -> io::Result<usize> {
        match self.slot(fd) {
            Some(i) if self.entries[i].kind == kind => Ok(i),
            _ => Err(not_registered(None)),
        }
    }

    /// Adds a slot for `fd`, fully armed.
    pub(super) fn add(
        &mut self,
        fd: RawFd,
        token: Token,
        interests: c_short,
        kind: SlotKind,
    ) -> io::Result<()> {
        let Ok(index) = usize::try_from(fd) else {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        };
        if self.slot(fd).is_some() {
            return Err(already_registered(None));
        }
        if self.by_fd.len() <= index {
            self.by_fd.resize(index + 1, NONE);
        }
        let mut pfd = pollfd {
            fd,
            events: 0,
            revents: 0,
        };
        set_armed(&mut pfd, fd, interests);
        self.by_fd[index] = self.pollfds.len() as u32;
        self.pollfds.push(pfd);
        self.entries.push(Entry {
            fd,
            token,
            interests,
            kind,
            closed: false,
        });
        Ok(())
    }

    /// Replaces token and interests of a source's slot and arms it fully.
    pub(super) fn reregister(
        &mut self,
        fd: RawFd,
        token: Token,
        interests: c_short,
    ) -> io::Result<()> {
        let i = self.slot_of(fd, SlotKind::Source)?;
        self.entries[i].token = token;
        self.entries[i].interests = interests;
        set_armed(&mut self.pollfds[i], fd, interests);
        Ok(())
    }

    /// Removes the slot of `fd`, if it is of that kind.
    pub(super) fn remove(&mut self, fd: RawFd, kind: SlotKind) -> io::Result<()> {
        let i = self.slot_of(fd, kind)?;
        self.remove_slot(i);
        Ok(())
    }

    /// Removes slot `i` (not 0), moving the last slot into its place.
    fn remove_slot(&mut self, i: usize) {
        self.by_fd[self.entries[i].fd as usize] = NONE;
        self.pollfds.swap_remove(i);
        self.entries.swap_remove(i);
        if let Some(moved) = self.entries.get(i) {
            self.by_fd[moved.fd as usize] = i as u32;
        }
    }

    /// Arms again the directions `bits` of a source's slot, as far as it registered them.
    /// Returns what is armed afterwards (`None` for an unknown fd, which is ignored).
    pub(super) fn rearm(&mut self, fd: RawFd, bits: c_short) -> Option<c_short> {
        let i = self.slot_of(fd, SlotKind::Source).ok()?;
        let pfd = &mut self.pollfds[i];
        let wanted = bits & self.entries[i].interests;
        if wanted != 0 && (pfd.fd < 0 || pfd.events & wanted != wanted) {
            // A dead slot (negative fd) has `events == 0`, so this arms exactly `wanted`.
            set_armed(pfd, fd, pfd.events | wanted);
        }
        Some(if pfd.fd < 0 { 0 } else { pfd.events })
    }

    /// The array to hand to poll(2).
    pub(super) fn pollfds_mut(&mut self) -> &mut [pollfd] {
        &mut self.pollfds
    }

    /// Turns the results of the last poll(2) into events, at most `events.capacity()` of them
    /// (the buffer never grows), disarming each reported source; slots not reached stay armed
    /// and are reported by the next call. Waker slots are passed to `drain` and stay armed.
    /// A slot whose fd was closed (POLLNVAL) is reported once as an error and removed, so the
    /// fd number can be registered again.
    /// Returns whether the internal notifier (slot 0) was readable (it is not drained here),
    /// and whether any source was disarmed.
    pub(super) fn collect(
        &mut self,
        events: &mut Vec<Event>,
        mut drain: impl FnMut(RawFd),
    ) -> Collected {
        let mut result = Collected {
            woken: self.pollfds[0].revents != 0,
            disarmed: false,
        };
        let users = self.pollfds.len() - 1;
        if users == 0 {
            return result;
        }
        let mut closed = false;
        let start = self.start % users;
        for k in 0..users {
            let offset = (start + k) % users;
            let i = offset + 1;
            let revents = self.pollfds[i].revents;
            if revents == 0 {
                continue;
            }
            if events.len() >= events.capacity() {
                // Full: the next scan starts after the last slot reported (set below), so
                // every slot gets its turn.
                break;
            }
            self.pollfds[i].revents = 0;
            let entry = &mut self.entries[i];
            if entry.kind == SlotKind::Waker {
                drain(entry.fd);
                events.push(Event {
                    token: entry.token,
                    revents: libc::POLLIN,
                });
            } else {
                let pfd = &mut self.pollfds[i];
                if revents & FATAL != 0 {
                    set_dead(pfd, entry.fd);
                    if revents & libc::POLLNVAL != 0 {
                        entry.closed = true;
                        closed = true;
                    }
                } else {
                    pfd.events = disarm(pfd.events, revents);
                }
                result.disarmed = true;
                // The reading half is shut: the fd reads end of stream, so it is readable as
                // well, which poll(2) does not say when POLLIN was not asked for (epoll says
                // it in the same case).
                let revents = if peer_shut_down(revents) {
                    revents | libc::POLLIN
                } else {
                    revents
                };
                events.push(Event {
                    token: entry.token,
                    revents,
                });
            }
            self.start = offset + 1;
        }
        if closed {
            let mut i = 1;
            while i < self.entries.len() {
                if self.entries[i].closed {
                    // Moves the last slot into `i`, which is looked at next.
                    self.remove_slot(i);
                } else {
                    i += 1;
                }
            }
        }
        result
    }

    /// The number of user slots (sources and Wakers).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.pollfds.len() - 1
    }

    /// The pollfd of a registered fd, for tests.
    #[cfg(test)]
    fn pollfd(&self, fd: RawFd) -> pollfd {
        self.pollfds[self.slot(fd).expect("registered")]
    }

    /// Pretends poll(2) reported `revents` for `fd` (`None`: the notifier of slot 0).
    #[cfg(test)]
    fn report(&mut self, fd: Option<RawFd>, revents: c_short) {
        let i = fd.map_or(0, |fd| self.slot(fd).expect("registered"));
        self.pollfds[i].revents = revents;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::EventApi;

    const R: c_short = libc::POLLIN | POLLRDHUP;
    const W: c_short = libc::POLLOUT;

    fn tokens(events: &[Event]) -> Vec<usize> {
        events.iter().map(|e| e.token().0).collect()
    }

    #[test]
    fn interest_mapping() {
        assert_eq!(interest_bits(Interest::READABLE), R);
        assert_eq!(interest_bits(Interest::WRITABLE), W);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(interest_bits(Interest::PRIORITY), POLLPRI);
        assert_eq!(
            interest_bits(Interest::READABLE | Interest::WRITABLE),
            R | W
        );
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(POLLRDHUP, libc::POLLRDHUP);
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        assert_eq!(POLLRDHUP, 0);
        // Re-arming READABLE also re-arms PRIORITY.
        assert_eq!(blocked_bits(Interest::READABLE), R | POLLPRI);
    }

    #[test]
    fn disarm_per_direction() {
        let all = R | W | POLLPRI;
        // Data leaves the shutdown of the reading half armed; the shutdown disarms both.
        assert_eq!(disarm(all, libc::POLLIN), W | POLLPRI | POLLRDHUP);
        assert_eq!(disarm(all, libc::POLLIN | POLLRDHUP), W | POLLPRI);
        assert_eq!(disarm(all, libc::POLLOUT), R | POLLPRI);
        assert_eq!(disarm(all, POLLPRI), R | W);
        assert_eq!(
            disarm(all, libc::POLLIN | libc::POLLOUT),
            POLLPRI | POLLRDHUP
        );
        for fatal in [
            libc::POLLHUP,
            libc::POLLERR,
            libc::POLLNVAL,
            libc::POLLIN | libc::POLLHUP,
        ] {
            assert_eq!(disarm(all, fatal), 0);
        }
    }

    #[test]
    fn register_errors() {
        let mut t = Table::new(100);
        t.add(3, Token(1), R, SlotKind::Source).unwrap();
        let e = t.add(3, Token(2), W, SlotKind::Source).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(e.to_string().contains("already registered"));
        for e in [
            t.reregister(4, Token(1), R).unwrap_err(),
            t.remove(4, SlotKind::Source).unwrap_err(),
        ] {
            assert_eq!(e.kind(), io::ErrorKind::NotFound);
            assert!(e.to_string().contains("not registered"));
        }
        assert_eq!(
            t.add(-1, Token(1), R, SlotKind::Source)
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EBADF)
        );
        // A Waker slot is invisible to user reregister/deregister, and vice versa.
        t.add(7, Token(1), libc::POLLIN, SlotKind::Waker).unwrap();
        assert_eq!(
            t.remove(7, SlotKind::Source).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(
            t.remove(3, SlotKind::Waker).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        t.remove(7, SlotKind::Waker).unwrap();
        t.remove(3, SlotKind::Source).unwrap();
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn remove_keeps_index_consistent() {
        let mut t = Table::new(100);
        for fd in 3..8 {
            t.add(fd, Token(fd as usize), R, SlotKind::Source).unwrap();
        }
        t.remove(4, SlotKind::Source).unwrap(); // the last slot (fd 7) moves into its place
        t.reregister(7, Token(70), W).unwrap();
        assert_eq!(t.pollfd(7).events, W);
        assert_eq!(t.pollfd(7).fd, 7);
        t.remove(7, SlotKind::Source).unwrap();
        t.add(4, Token(4), R, SlotKind::Source).unwrap();
        let fds: Vec<RawFd> = t.pollfds[1..].iter().map(|p| p.fd).collect();
        assert_eq!(fds, [3, 6, 5, 4]);
    }

    #[test]
    fn edge_emulation_disarm_and_rearm() {
        const RDHUP: c_short = POLLRDHUP;
        let mut t = Table::new(100);
        t.add(3, Token(1), R | W, SlotKind::Source).unwrap();
        let mut events = Vec::with_capacity(4);

        t.report(Some(3), libc::POLLIN);
        let found = t.collect(&mut events, |_| unreachable!());
        assert_eq!(
            found,
            Collected {
                woken: false,
                disarmed: true
            }
        );
        assert_eq!(tokens(&events), [1]);
        assert!(events[0].is_readable());
        // Data disarms POLLIN only; the shutdown of the reading half is still watched.
        assert_eq!(t.pollfd(3).events, W | RDHUP);

        // Re-arming a direction that is not registered changes nothing.
        t.reregister(3, Token(1), R).unwrap();
        t.report(Some(3), libc::POLLIN);
        events.clear();
        t.collect(&mut events, |_| {});
        // Nothing armed but POLLRDHUP; the fd is still watched for hang-ups and errors.
        assert_eq!((t.pollfd(3).fd, t.pollfd(3).events), (3, RDHUP));
        assert_eq!(t.rearm(3, libc::POLLOUT), Some(RDHUP));
        assert_eq!(t.rearm(3, blocked_bits(Interest::READABLE)), Some(R));
        assert_eq!(t.pollfd(3).fd, 3);
        assert_eq!(t.pollfd(3).events, R);
        assert_eq!(t.rearm(3, R), Some(R), "already armed");
        assert_eq!(t.rearm(9, R), None, "unknown fd ignored");

        // A hang-up disarms everything, even the directions not reported.
        t.reregister(3, Token(2), R | W).unwrap();
        t.report(Some(3), libc::POLLHUP);
        events.clear();
        t.collect(&mut events, |_| {});
        assert_eq!(tokens(&events), [2]);
        assert!(events[0].is_read_closed() && events[0].is_write_closed());
        assert_eq!(
            (t.pollfd(3).fd, t.pollfd(3).events),
            (!3, 0),
            "dead: skipped by poll(2)"
        );
        // A direction that is not registered does not revive it.
        t.reregister(3, Token(2), W).unwrap();
        t.report(Some(3), libc::POLLERR);
        events.clear();
        t.collect(&mut events, |_| {});
        assert!(events[0].is_error());
        assert_eq!(t.pollfd(3).fd, !3);
        assert_eq!(t.rearm(3, R), Some(0));
        assert_eq!(t.pollfd(3).fd, !3);
        // do_io re-arms only what blocked; reregister re-arms everything.
        assert_eq!(t.rearm(3, W), Some(W));
        assert_eq!((t.pollfd(3).fd, t.pollfd(3).events), (3, W));
        t.reregister(3, Token(2), R | W).unwrap();
        assert_eq!(t.pollfd(3).events, R | W);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn read_hang_up_after_data_is_reported_once() {
        let mut t = Table::new(100);
        t.add(3, Token(1), R | W, SlotKind::Source).unwrap();
        let mut events = Vec::with_capacity(4);
        t.report(Some(3), libc::POLLIN | libc::POLLOUT);
        t.collect(&mut events, |_| {});
        assert_eq!(t.pollfd(3).events, POLLRDHUP);
        // poll(2) reports only what was asked for: POLLRDHUP alone. The event says readable
        // (end of stream) and read-closed, as epoll's would.
        t.report(Some(3), POLLRDHUP);
        events.clear();
        t.collect(&mut events, |_| {});
        assert!(events[0].is_read_closed() && events[0].is_readable());
        assert!(!events[0].is_write_closed() && !events[0].is_error());
        // Nothing left but hang-ups and errors, which poll(2) reports unasked.
        assert_eq!((t.pollfd(3).fd, t.pollfd(3).events), (3, 0));
        t.report(Some(3), libc::POLLHUP | libc::POLLERR);
        events.clear();
        t.collect(&mut events, |_| {});
        assert!(events[0].is_write_closed() && events[0].is_error());
        assert_eq!(t.pollfd(3).fd, !3);
        // Data and the shut-down together disarm the whole reading direction.
        assert_eq!(disarm(R | W, libc::POLLIN | POLLRDHUP), W);
    }

    #[test]
    fn closed_fd_is_reported_once_and_removed() {
        let mut t = Table::new(100);
        for fd in 3..7 {
            t.add(fd, Token(fd as usize), R, SlotKind::Source).unwrap();
        }
        t.report(Some(3), libc::POLLNVAL);
        t.report(Some(5), libc::POLLNVAL);
        t.report(Some(6), libc::POLLIN);
        let mut events = Vec::with_capacity(4);
        t.collect(&mut events, |_| {});
        let mut got: Vec<(usize, bool)> =
            events.iter().map(|e| (e.token().0, e.is_error())).collect();
        got.sort_unstable();
        assert_eq!(got, [(3, true), (5, true), (6, false)]);
        assert_eq!(t.len(), 2);
        assert!(t.slot(3).is_none() && t.slot(5).is_none());
        assert_eq!(t.pollfd(4).fd, 4);
        assert_eq!(t.pollfd(6).events, POLLRDHUP);
        // The numbers can be registered again; the other slots are intact.
        t.add(5, Token(50), W, SlotKind::Source).unwrap();
        t.add(3, Token(30), W, SlotKind::Source).unwrap();
        t.remove(6, SlotKind::Source).unwrap();
        assert_eq!(t.len(), 3);
        for fd in [3, 4, 5] {
            assert_eq!(t.pollfd(fd).fd, fd);
        }
        // A closed fd that did not fit in the buffer stays until it is reported. (Slots not
        // reached keep their `revents`, as a level-triggered poll(2) would report them again.)
        t.report(Some(4), libc::POLLNVAL);
        t.report(Some(5), libc::POLLOUT);
        t.report(Some(3), libc::POLLOUT);
        let mut one = Vec::with_capacity(1);
        let mut seen = Vec::new();
        for _ in 0..3 {
            one.clear();
            t.collect(&mut one, |_| {});
            seen.extend(tokens(&one));
        }
        seen.sort_unstable();
        assert_eq!(seen, [4, 30, 50]);
        assert!(t.slot(4).is_none());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn wakers_stay_armed_and_are_drained() {
        let mut t = Table::new(100);
        t.add(3, Token(5), R, SlotKind::Source).unwrap();
        t.add(4, Token(5), libc::POLLIN, SlotKind::Waker).unwrap();
        t.report(Some(3), libc::POLLIN);
        t.report(Some(4), libc::POLLIN);
        t.report(None, libc::POLLIN);
        let mut events = Vec::with_capacity(4);
        let mut drained = Vec::new();
        assert!(
            t.collect(&mut events, |fd| drained.push(fd)).woken,
            "internal notifier seen"
        );
        assert_eq!(drained, [4]);
        assert_eq!(tokens(&events), [5, 5]);
        assert!(events.iter().all(EventApi::is_readable));
        assert_eq!((t.pollfd(4).fd, t.pollfd(4).events), (4, libc::POLLIN));
        assert_eq!((t.pollfd(3).fd, t.pollfd(3).events), (3, POLLRDHUP));
    }

    #[test]
    fn capacity_limit_and_rotation() {
        let mut t = Table::new(100);
        for fd in 10..20 {
            t.add(fd, Token(fd as usize), R, SlotKind::Source).unwrap();
        }
        let mut events = Vec::with_capacity(3);
        let cap = events.capacity();
        let mut seen = Vec::new();
        // Every slot stays ready (level-triggered poll keeps reporting unreached slots); the
        // reported ones are disarmed, so each fd is delivered exactly once over 4 calls.
        for _ in 0..4 {
            for fd in 10..20 {
                let armed = t.pollfd(fd).events & libc::POLLIN != 0;
                t.report(Some(fd), if armed { libc::POLLIN } else { 0 });
            }
            events.clear();
            t.collect(&mut events, |_| {});
            assert!(events.len() <= cap);
            assert_eq!(events.capacity(), cap, "no growth");
            seen.extend(tokens(&events));
        }
        seen.sort_unstable();
        assert_eq!(seen, (10..20).collect::<Vec<_>>());

        // Rotation: with slots that are re-armed every time, the later ones still get a turn.
        for fd in 10..20 {
            t.reregister(fd, Token(fd as usize), R).unwrap();
        }
        let mut counts = [0; 10];
        for _ in 0..10 {
            for fd in 10..20 {
                t.rearm(fd, R);
                t.report(Some(fd), libc::POLLIN);
            }
            events.clear();
            t.collect(&mut events, |_| {});
            for e in &events {
                counts[e.token().0 - 10] += 1;
            }
        }
        assert!(counts.iter().all(|&c| c == 3), "fair turns: {counts:?}");
    }

    #[test]
    fn tokens_are_bit_exact() {
        let mut t = Table::new(100);
        t.add(3, Token(usize::MAX), W, SlotKind::Source).unwrap();
        t.add(4, Token(usize::MAX - 1), libc::POLLIN, SlotKind::Waker)
            .unwrap();
        t.report(Some(3), libc::POLLOUT);
        t.report(Some(4), libc::POLLIN);
        let mut events = Vec::with_capacity(2);
        t.collect(&mut events, |_| {});
        let mut got = tokens(&events);
        got.sort_unstable();
        assert_eq!(got, [usize::MAX - 1, usize::MAX]);
    }
}
