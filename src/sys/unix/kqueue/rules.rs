//! The kqueue backend's decisions that need no kernel, kept apart so that they are unit-tested
//! on Linux too (libc has no kqueue constants there):
//!
//! - which filter changes (add, delete) an operation submits ([`plan`]);
//! - how the receipts of those changes become the operation's result ([`Plan::outcome`]);
//! - how a returned kevent reads as readiness ([`RawEvent`]);
//! - how a token rides in `udata` ([`UData`]);
//! - how a timeout becomes a `timespec` ([`timespec_parts`]).
//!
//! The selector calls exactly these functions, with [`Consts`] filled from libc for the target
//! being built; the tests call them with the constant values of FreeBSD and of NetBSD (whose
//! filter numbers and field types differ from everyone else's).

use std::time::Duration;

use crate::{Interest, Token};

/// The kevent constants the rules read, widened to one type on every system: NetBSD's
/// `filter` and `flags` are `u32`, everyone else's are `i16` and `u16`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Consts {
    pub(crate) filt_read: i64,
    pub(crate) filt_write: i64,
    pub(crate) filt_user: i64,
    /// `EVFILT_AIO` where ferrio reports AIO completions (DragonFly, FreeBSD, Apple).
    pub(crate) filt_aio: Option<i64>,
    /// `EVFILT_LIO` where it exists (FreeBSD).
    pub(crate) filt_lio: Option<i64>,
    pub(crate) ev_eof: u64,
    pub(crate) ev_error: u64,
}

/// The two filters a source is registered with, one per direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    Read,
    Write,
}

/// What a change does to its filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `EV_ADD | EV_CLEAR`: add the filter, or update it (token, flags) if it exists.
    Add,
    /// `EV_DELETE`.
    Delete,
}

/// One kevent change for a source's fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) filter: Filter,
    pub(crate) action: Action,
}

/// The registry operation being carried out.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    Register(Interest),
    Reregister(Interest),
    Deregister,
}

/// The changes one operation submits, in order: at most one per filter, so at most two, held
/// inline (no allocation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    op: Op,
    changes: [Change; 2],
    len: usize,
}

/// Why an operation failed, as read from its receipts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A change failed with this errno.
    Os(i32),
    /// Deregistering found neither filter (this errno, ENOENT): the fd was not registered.
    NotRegistered(i32),
}

/// The changes that carry out `op`.
///
/// - register: add the filter of each wanted direction. kqueue's `EV_ADD` updates a filter
///   that already exists, so registering an fd twice succeeds and, with fewer interests,
///   leaves the other direction's filter in place: kqueue cannot detect a double
///   registration without bookkeeping, so that check is best-effort on this backend.
/// - reregister: add the wanted directions, delete the unwanted ones.
/// - deregister: delete both.
///
/// Interests without a filter of their own (AIO, LIO: those completions name the kqueue in the
/// request itself) add nothing, so an AIO-only registration submits no change at all.
pub(crate) fn plan(op: Op) -> Plan {
    let mut plan = Plan {
        op,
        changes: [Change {
            filter: Filter::Read,
            action: Action::Add,
        }; 2],
        len: 0,
    };
    for filter in [Filter::Read, Filter::Write] {
        let action = match op {
            Op::Register(interests) if wants(interests, filter) => Some(Action::Add),
            Op::Register(_) => None,
            Op::Reregister(interests) if wants(interests, filter) => Some(Action::Add),
            Op::Reregister(_) | Op::Deregister => Some(Action::Delete),
        };
        if let Some(action) = action {
            plan.changes[plan.len] = Change { filter, action };
            plan.len += 1;
        }
    }
    plan
}

fn wants(interests: Interest, filter: Filter) -> bool {
    match filter {
        Filter::Read => interests.is_readable(),
        Filter::Write => interests.is_writable(),
    }
}

impl Plan {
    /// The changes to submit, in order.
    pub(crate) fn changes(&self) -> &[Change] {
        &self.changes[..self.len]
    }

    fn action(&self, filter: Filter) -> Option<Action> {
        self.changes()
            .iter()
            .find(|c| c.filter == filter)
            .map(|c| c.action)
    }

    /// The result of the operation, from the receipts (`(filter, errno)`, errno 0 meaning
    /// "applied") that the kernel returned for its changes.
    ///
    /// - `EPIPE` from an add is ignored: old macOS returns it for a pipe whose other end is
    ///   closed, although the filter was added.
    /// - `ENOENT` from a delete is ignored (that direction was not registered), except when
    ///   deregistering finds *neither* filter: then the fd was not registered at all, reported
    ///   as [`Failure::NotRegistered`] like epoll's `NotFound`.
    /// - Any other errno fails the operation with that errno (the first one, in change order).
    ///
    /// A change without a receipt counts as applied.
    pub(crate) fn outcome<I>(&self, receipts: I) -> Result<(), Failure>
    where
        I: IntoIterator<Item = (Filter, i32)>,
    {
        let mut missing = 0;
        for (filter, errno) in receipts {
            let Some(action) = self.action(filter) else {
                continue;
            };
            match (action, errno) {
                (_, 0) => {}
                (Action::Add, e) if e == libc::EPIPE => {}
                (Action::Delete, e) if e == libc::ENOENT => missing += 1,
                (_, e) => return Err(Failure::Os(e)),
            }
        }
        if matches!(self.op, Op::Deregister) && missing == self.len {
            return Err(Failure::NotRegistered(libc::ENOENT));
        }
        Ok(())
    }
}

impl Consts {
    /// The filter a receipt is about, if it is one of a source's two.
    pub(crate) fn filter(&self, filter: i64) -> Option<Filter> {
        if filter == self.filt_read {
            Some(Filter::Read)
        } else if filter == self.filt_write {
            Some(Filter::Write)
        } else {
            None
        }
    }

    /// The errno a receipt carries: `data` when `EV_ERROR` is set (0 for a change that was
    /// applied), otherwise 0.
    pub(crate) fn receipt_errno(&self, flags: u64, data: i64) -> i32 {
        if flags & self.ev_error == 0 {
            0
        } else {
            // `data` holds an errno; one that does not fit is reported as EINVAL rather than
            // truncated to some other error.
            i32::try_from(data).unwrap_or(libc::EINVAL)
        }
    }
}

/// The fields of a returned kevent that say what happened, widened like [`Consts`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawEvent {
    pub(crate) filter: i64,
    pub(crate) flags: u64,
    pub(crate) fflags: u64,
}

impl RawEvent {
    /// A read filter fired, or a Waker (the only user filter ferrio registers) was woken.
    pub(crate) fn is_readable(self, c: &Consts) -> bool {
        self.filter == c.filt_read || self.filter == c.filt_user
    }

    pub(crate) fn is_writable(self, c: &Consts) -> bool {
        self.filter == c.filt_write
    }

    /// `EV_ERROR`, or end-of-file with an error code in `fflags` (a socket error).
    pub(crate) fn is_error(self, c: &Consts) -> bool {
        self.flags & c.ev_error != 0 || (self.flags & c.ev_eof != 0 && self.fflags != 0)
    }

    pub(crate) fn is_read_closed(self, c: &Consts) -> bool {
        self.filter == c.filt_read && self.flags & c.ev_eof != 0
    }

    pub(crate) fn is_write_closed(self, c: &Consts) -> bool {
        self.filter == c.filt_write && self.flags & c.ev_eof != 0
    }

    pub(crate) fn is_aio(self, c: &Consts) -> bool {
        c.filt_aio == Some(self.filter)
    }

    pub(crate) fn is_lio(self, c: &Consts) -> bool {
        c.filt_lio == Some(self.filter)
    }
}

/// The type of kevent's `udata`, which carries the token: a pointer on most systems, an
/// integer (`intptr_t`) in the libc bindings of NetBSD before its version 10 headers. Both
/// carry every `usize` bit for bit, so `Token(usize::MAX)` comes back unchanged; the pointer is
/// never dereferenced.
pub(crate) trait UData: Copy {
    fn from_token(token: Token) -> Self;
    fn token(self) -> Token;
}

impl UData for *mut libc::c_void {
    fn from_token(token: Token) -> Self {
        // An address without provenance (what `ptr::without_provenance_mut` makes, which is
        // newer than the MSRV): never dereferenced, and no integer-to-pointer cast for Miri's
        // strict-provenance check to reject.
        std::ptr::null_mut::<u8>().wrapping_add(token.0).cast()
    }
    fn token(self) -> Token {
        Token(self as usize)
    }
}

impl UData for isize {
    fn from_token(token: Token) -> Self {
        token.0 as isize
    }
    fn token(self) -> Token {
        Token(self as usize)
    }
}

/// C's `time_t`, the type of `timespec::tv_sec`. (musl's libc marks its alias deprecated
/// because the width changes with musl 1.2; on Linux these rules serve only the unit tests,
/// which must build for musl too.)
#[allow(deprecated)]
pub(crate) type TimeT = libc::time_t;

/// A timeout as `timespec` fields, to the nanosecond: seconds beyond `time_t::MAX` are
/// clamped to it (a very long wait, never an overflow into a negative or zero timeout).
pub(crate) fn timespec_parts(timeout: Duration) -> (TimeT, libc::c_long) {
    (clamp_secs(timeout.as_secs(), TimeT::MAX), nanos(timeout))
}

fn clamp_secs<T: TryFrom<u64>>(secs: u64, max: T) -> T {
    T::try_from(secs).unwrap_or(max)
}

fn nanos(timeout: Duration) -> libc::c_long {
    // Below 10^9, so it fits a 32-bit c_long too.
    timeout.subsec_nanos() as libc::c_long
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FreeBSD's values (`sys/event.h`).
    const FREEBSD: Consts = Consts {
        filt_read: -1,
        filt_write: -2,
        filt_user: -11,
        filt_aio: Some(-3),
        filt_lio: Some(-10),
        ev_eof: 0x8000,
        ev_error: 0x4000,
    };

    /// NetBSD's values: non-negative filter numbers, no AIO or LIO reported.
    const NETBSD: Consts = Consts {
        filt_read: 0,
        filt_write: 1,
        filt_user: 8,
        filt_aio: None,
        filt_lio: None,
        ev_eof: 0x8000,
        ev_error: 0x4000,
    };

    const R: Interest = Interest::READABLE;
    const W: Interest = Interest::WRITABLE;

    fn add(filter: Filter) -> Change {
        Change {
            filter,
            action: Action::Add,
        }
    }
    fn del(filter: Filter) -> Change {
        Change {
            filter,
            action: Action::Delete,
        }
    }

    #[test]
    fn register_adds_wanted_filters_only() {
        use Filter::*;
        assert_eq!(plan(Op::Register(R)).changes(), [add(Read)]);
        assert_eq!(plan(Op::Register(W)).changes(), [add(Write)]);
        assert_eq!(plan(Op::Register(R | W)).changes(), [add(Read), add(Write)]);
    }

    #[test]
    fn reregister_adds_wanted_and_deletes_unwanted() {
        use Filter::*;
        assert_eq!(plan(Op::Reregister(R)).changes(), [add(Read), del(Write)]);
        assert_eq!(plan(Op::Reregister(W)).changes(), [del(Read), add(Write)]);
        assert_eq!(
            plan(Op::Reregister(R | W)).changes(),
            [add(Read), add(Write)]
        );
    }

    #[test]
    fn deregister_deletes_both() {
        use Filter::*;
        assert_eq!(plan(Op::Deregister).changes(), [del(Read), del(Write)]);
    }

    #[cfg(ferrio_lio)]
    #[test]
    fn filterless_interests_submit_nothing() {
        assert!(plan(Op::Register(Interest::AIO)).changes().is_empty());
        assert!(plan(Op::Register(Interest::LIO)).changes().is_empty());
        assert_eq!(
            plan(Op::Register(Interest::AIO | R)).changes(),
            [add(Filter::Read)]
        );
    }

    #[test]
    fn receipts_that_succeeded() {
        use Filter::*;
        assert_eq!(
            plan(Op::Register(R | W)).outcome([(Read, 0), (Write, 0)]),
            Ok(())
        );
        assert_eq!(
            plan(Op::Deregister).outcome([(Read, 0), (Write, 0)]),
            Ok(())
        );
        // No receipt at all (a kernel that returned none) counts as applied.
        assert_eq!(plan(Op::Register(R)).outcome([]), Ok(()));
        assert_eq!(plan(Op::Deregister).outcome([]), Ok(()));
    }

    #[test]
    fn epipe_from_an_add_is_ignored() {
        use Filter::*;
        assert_eq!(
            plan(Op::Register(R | W)).outcome([(Read, 0), (Write, libc::EPIPE)]),
            Ok(())
        );
        assert_eq!(
            plan(Op::Reregister(W)).outcome([(Read, 0), (Write, libc::EPIPE)]),
            Ok(())
        );
        // ... but not from a delete.
        assert_eq!(
            plan(Op::Deregister).outcome([(Read, libc::EPIPE), (Write, 0)]),
            Err(Failure::Os(libc::EPIPE))
        );
    }

    #[test]
    fn enoent_from_deletes() {
        use Filter::*;
        let enoent = libc::ENOENT;
        // Reregister: the unwanted direction was not registered; fine.
        assert_eq!(
            plan(Op::Reregister(R)).outcome([(Read, 0), (Write, enoent)]),
            Ok(())
        );
        assert_eq!(
            plan(Op::Reregister(R)).outcome([(Write, enoent), (Read, 0)]),
            Ok(())
        );
        // Deregister: one direction missing is a registration for the other one.
        assert_eq!(
            plan(Op::Deregister).outcome([(Read, 0), (Write, enoent)]),
            Ok(())
        );
        assert_eq!(
            plan(Op::Deregister).outcome([(Read, enoent), (Write, 0)]),
            Ok(())
        );
        // Both missing: never registered.
        assert_eq!(
            plan(Op::Deregister).outcome([(Read, enoent), (Write, enoent)]),
            Err(Failure::NotRegistered(enoent))
        );
        // ENOENT from an add is a real error.
        assert_eq!(
            plan(Op::Register(R)).outcome([(Read, enoent)]),
            Err(Failure::Os(enoent))
        );
    }

    #[test]
    fn other_errors_fail_with_their_errno() {
        use Filter::*;
        let ebadf = libc::EBADF;
        assert_eq!(
            plan(Op::Register(R | W)).outcome([(Read, ebadf), (Write, ebadf)]),
            Err(Failure::Os(ebadf))
        );
        assert_eq!(
            plan(Op::Deregister).outcome([(Read, libc::ENOENT), (Write, ebadf)]),
            Err(Failure::Os(ebadf))
        );
        assert_eq!(
            plan(Op::Register(W)).outcome([(Write, libc::EPERM)]),
            Err(Failure::Os(libc::EPERM))
        );
        // A receipt for a filter the plan did not touch is not ours.
        assert_eq!(
            plan(Op::Register(R)).outcome([(Write, ebadf), (Read, 0)]),
            Ok(())
        );
    }

    #[test]
    fn receipts_are_decoded() {
        for c in [FREEBSD, NETBSD] {
            assert_eq!(c.filter(c.filt_read), Some(Filter::Read));
            assert_eq!(c.filter(c.filt_write), Some(Filter::Write));
            assert_eq!(c.filter(c.filt_user), None);
            assert_eq!(c.receipt_errno(c.ev_error, 0), 0);
            assert_eq!(
                c.receipt_errno(c.ev_error | 0x1 | 0x40, i64::from(libc::ENOENT)),
                libc::ENOENT
            );
            // Without EV_ERROR, `data` is not an error code.
            assert_eq!(c.receipt_errno(0x1, 5), 0);
            assert_eq!(c.receipt_errno(c.ev_error, i64::MAX), libc::EINVAL);
        }
    }

    fn ev(filter: i64, flags: u64, fflags: u64) -> RawEvent {
        RawEvent {
            filter,
            flags,
            fflags,
        }
    }

    /// (readable, writable, error, read_closed, write_closed, aio, lio)
    fn decode(c: &Consts, e: RawEvent) -> [bool; 7] {
        [
            e.is_readable(c),
            e.is_writable(c),
            e.is_error(c),
            e.is_read_closed(c),
            e.is_write_closed(c),
            e.is_aio(c),
            e.is_lio(c),
        ]
    }

    #[test]
    fn readiness_per_filter_and_flags() {
        const F: bool = false;
        const T: bool = true;
        for c in [FREEBSD, NETBSD] {
            let (eof, err) = (c.ev_eof, c.ev_error);
            let table: [(RawEvent, [bool; 7]); 10] = [
                (ev(c.filt_read, 0, 0), [T, F, F, F, F, F, F]),
                (ev(c.filt_write, 0, 0), [F, T, F, F, F, F, F]),
                (ev(c.filt_user, 0, 0), [T, F, F, F, F, F, F]),
                // The peer closed: EOF on the read filter.
                (ev(c.filt_read, eof, 0), [T, F, F, T, F, F, F]),
                (ev(c.filt_write, eof, 0), [F, T, F, F, T, F, F]),
                // EOF with a socket error in fflags.
                (
                    ev(c.filt_read, eof, libc::ECONNRESET as u64),
                    [T, F, T, T, F, F, F],
                ),
                (
                    ev(c.filt_write, eof, libc::EPIPE as u64),
                    [F, T, T, F, T, F, F],
                ),
                // fflags without EOF is not an error (filters use it for notes).
                (ev(c.filt_read, 0, 7), [T, F, F, F, F, F, F]),
                (ev(c.filt_write, err, 0), [F, T, T, F, F, F, F]),
                // A filter ferrio never registers reads as nothing.
                (ev(-100, 0, 0), [F, F, F, F, F, F, F]),
            ];
            for (e, want) in table {
                assert_eq!(decode(&c, e), want, "{e:?} with {c:?}");
            }
        }
    }

    #[test]
    fn aio_and_lio_only_where_reported() {
        assert_eq!(
            decode(&FREEBSD, ev(-3, 0, 0)),
            [false, false, false, false, false, true, false]
        );
        assert_eq!(
            decode(&FREEBSD, ev(-10, 0, 0)),
            [false, false, false, false, false, false, true]
        );
        // NetBSD's EVFILT_AIO (2) is not reported as AIO.
        assert!(!ev(2, 0, 0).is_aio(&NETBSD));
        assert!(!ev(2, 0, 0).is_lio(&NETBSD));
    }

    #[test]
    fn tokens_round_trip_through_udata() {
        for t in [
            0,
            1,
            7,
            // 2^40 on 64-bit targets, 2^20 on 32-bit ones.
            1 << (usize::BITS * 5 / 8),
            usize::MAX / 2,
            usize::MAX / 2 + 1,
            usize::MAX - 1,
            usize::MAX,
        ] {
            let token = Token(t);
            assert_eq!(
                <*mut libc::c_void as UData>::from_token(token).token(),
                token
            );
            assert_eq!(<isize as UData>::from_token(token).token(), token);
        }
        assert_eq!(<isize as UData>::from_token(Token(usize::MAX)), -1);
    }

    #[test]
    fn timeouts_keep_nanoseconds() {
        assert_eq!(timespec_parts(Duration::ZERO), (0, 0));
        assert_eq!(timespec_parts(Duration::from_nanos(1)), (0, 1));
        assert_eq!(
            timespec_parts(Duration::new(5, 999_999_999)),
            (5, 999_999_999)
        );
        assert_eq!(
            timespec_parts(Duration::from_millis(1_500)),
            (1, 500_000_000)
        );
    }

    #[test]
    fn timeouts_clamp_seconds() {
        let max = TimeT::MAX;
        assert_eq!(timespec_parts(Duration::MAX), (max, 999_999_999));
        assert_eq!(timespec_parts(Duration::from_secs(u64::MAX)).0, max);
        // A 32-bit time_t (32-bit FreeBSD, older systems) clamps at its own maximum.
        assert_eq!(clamp_secs(u64::from(u32::MAX), i32::MAX), i32::MAX);
        assert_eq!(clamp_secs(i32::MAX as u64, i32::MAX), i32::MAX);
        assert_eq!(clamp_secs(i32::MAX as u64 - 1, i32::MAX), i32::MAX - 1);
        assert_eq!(clamp_secs(1u64 << 63, i64::MAX), i64::MAX);
        assert_eq!(clamp_secs(12, i64::MAX), 12);
    }
}
