//! The poll(2) selector: any Unix, and any Unix build with `--cfg ferrio_force_poll` (or mio's
//! `--cfg mio_unsupported_force_poll_poll`).
//!
//! poll(2) is level-triggered and keeps no state, so this backend keeps the registrations in a
//! table (see `table.rs`) and emulates edge triggering on top of it:
//!
//! * the rule of `edge/` (shared with the event ports backend): reported directions are
//!   disarmed, and re-armed by `reregister` or by the `do_io` of an operation that returned
//!   `WouldBlock`; here, what was not reported yet is still watched, so a later shutdown of the
//!   reading half (POLLRDHUP, where the system has it), hang-up or error is reported once; a
//!   hang-up or error disarms the fd entirely (it is stored negated, which poll(2) skips), so
//!   it cannot make poll spin;
//! * an fd closed while registered (POLLNVAL) is reported once as an error and its slot is
//!   removed, so that the number can be registered again.
//!
//! The polling thread holds the table's lock while it sleeps in poll(2). A thread that changes
//! the table (register, re-arm, a Waker's drop) announces itself in `waiting` and, if the poller
//! is inside poll(2) (`polling`), wakes it through the internal notifier; the poller then lets
//! the modifiers through and polls again with what is left of the timeout, so the change takes
//! effect in the same `select` call. Both flags are `SeqCst`: a modifier either sees the poller
//! in poll(2) and wakes it, or the poller sees the modifier and yields before polling. Changes
//! made while nobody polls cost no system call beyond the uncontended lock.
//!
//! The epoch of `edge/` (which lets a re-arm of a direction still armed skip everything) is
//! advanced by the poller under the table's lock whenever it disarms anything.
//!
//! Waking the poller can fail only if writing to the notifier fails, which ferrio's own
//! notifier does not do in practice. If it does, the change is not made and the error is
//! returned: waiting for the lock could take until poll(2) times out, which is never for a
//! `None` timeout.

mod table;
#[cfg(not(ferrio_no_waker))]
mod waker;

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use self::table::{SlotKind, Table};
use super::edge::{readiness, PollBits, PollerState, Rearm};
// The seams of the loom models (`loom_model.rs`): their kernel's eventfd and poll(2).
#[cfg(all(loom, test))]
use super::loom_kernel::{self as notify, Notifier};
#[cfg(not(all(loom, test)))]
use super::notify::{self, Notifier};
use super::timeout_ms;
use crate::sys::failpoints::syscall;
use crate::sys::sync::{yield_now, AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard};
use crate::sys::{EventApi, SelectorApi};
use crate::{Interest, Token};

#[cfg(not(ferrio_no_waker))]
pub(crate) use self::waker::Waker;

/// The longest single poll(2) wait. Some 32-bit kernels mishandled longer waits, so those
/// targets use the same limit as libuv (about 29.8 minutes); a longer timeout simply returns
/// early with no events, which `Poll::poll` allows.
#[cfg(target_pointer_width = "32")]
const MAX_TIMEOUT_MS: libc::c_int = 1_789_569;
#[cfg(not(target_pointer_width = "32"))]
const MAX_TIMEOUT_MS: libc::c_int = libc::c_int::MAX;

/// One readiness report: the registration's token and what poll(2) said about its fd.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    token: Token,
    revents: PollBits,
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }
    fn is_readable(&self) -> bool {
        readiness::is_readable(self.revents)
    }
    fn is_writable(&self) -> bool {
        readiness::is_writable(self.revents)
    }
    fn is_error(&self) -> bool {
        // POLLNVAL: the fd was closed while registered (the slot is gone after this event).
        readiness::is_error(self.revents)
    }
    fn is_read_closed(&self) -> bool {
        readiness::is_read_closed(self.revents)
    }
    fn is_write_closed(&self) -> bool {
        readiness::is_write_closed(self.revents)
    }
    fn is_priority(&self) -> bool {
        readiness::is_priority(self.revents)
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let revents = self.revents;
        f.debug_struct("pollfd")
            .field("revents", &format_args!("{revents:#x}"))
            .field("token", &self.token.0)
            .finish()
    }
}

/// The state every clone of a selector (and every registered source and Waker) shares.
pub(crate) struct Shared {
    table: Mutex<Table>,
    /// Signalled when the last waiting modifier is done, if the poller is parked on it.
    modifiers_done: Condvar,
    /// True while the polling thread is in (or about to enter) poll(2).
    polling: AtomicBool,
    /// Threads that want the table's lock to change it.
    waiting: AtomicUsize,
    /// Watched in slot 0 of the table: wakes the poller for modifiers.
    notifier: Notifier,
    /// The epoch of `edge/` and the handle count.
    poller: PollerState,
    /// Slots of sources and Wakers dropped while the poller sat in poll(2) and could not be
    /// woken (see [`Shared::forget_slot`]): removed by the next thread to take the table's lock.
    orphans: Mutex<Vec<(RawFd, SlotKind)>>,
    /// Whether `orphans` holds any, so that taking the lock costs one load otherwise.
    has_orphans: AtomicBool,
    /// How many times a modifier tried to wake the poller (for the tests).
    #[cfg(test)]
    wakes: AtomicUsize,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("notify_fd", &self.notifier.fd())
            .finish()
    }
}

/// Holds the table for a modifier; on drop it leaves the `waiting` count (while still holding
/// the lock, so the poller's check-then-park cannot miss it) and then unlocks.
struct ModifierGuard<'a> {
    shared: &'a Shared,
    table: MutexGuard<'a, Table>,
}

impl Drop for ModifierGuard<'_> {
    fn drop(&mut self) {
        if self.shared.waiting.fetch_sub(1, SeqCst) == 1 && self.table.poller_parked {
            self.shared.modifiers_done.notify_all();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table is consistent after every step, so a panic elsewhere while it was locked
        // leaves nothing to repair.
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        self.reap(&mut table);
        table
    }

    /// Removes the slot of a source or Waker being dropped, whose fd is closed right after.
    /// When the poller cannot be woken to let this thread in, the slot is left to the next
    /// thread that takes the lock ([`Shared::reap`]): that is before the fd number can be
    /// registered again and before the poller reports anything, whereas a slot left in place
    /// would report whatever file reuses the number under the dropped one's token.
    fn forget_slot(&self, fd: RawFd, kind: SlotKind) {
        // Not found: deregistered behind the owner's back (through a `SourceFd`), fine.
        let removed = self.wake_and_lock(|t| {
            let _ = t.remove(fd, kind);
        });
        if removed.is_err() {
            let mut orphans = self.orphans.lock().unwrap_or_else(PoisonError::into_inner);
            orphans.push((fd, kind));
            self.has_orphans.store(true, SeqCst);
        }
    }

    /// Removes the orphaned slots (see [`Shared::forget_slot`]); `table` is the locked table.
    fn reap(&self, table: &mut Table) {
        if !self.has_orphans.load(SeqCst) {
            return;
        }
        let orphans = {
            let mut orphans = self.orphans.lock().unwrap_or_else(PoisonError::into_inner);
            self.has_orphans.store(false, SeqCst);
            std::mem::take(&mut *orphans)
        };
        for (fd, kind) in orphans {
            let _ = table.remove(fd, kind);
        }
    }

    /// Runs `f` on the table, waking the poller out of poll(2) first if it is in there.
    ///
    /// If the poller is in poll(2) and cannot be woken (writing to the notifier failed), `f`
    /// is not run and the error is returned: the poller would hold the lock until its poll(2)
    /// returns, which with a `None` timeout is never.
    fn wake_and_lock<R>(&self, f: impl FnOnce(&mut Table) -> R) -> io::Result<R> {
        self.waiting.fetch_add(1, SeqCst);
        if self.polling.load(SeqCst) {
            #[cfg(test)]
            self.wakes.fetch_add(1, SeqCst);
            // A full counter or pipe is drained and retried inside `notify`, and EINTR is
            // retried, so an error here is one that would come back on every try.
            if let Err(err) = self.notifier.notify() {
                self.withdraw();
                return Err(err);
            }
        }
        let mut guard = ModifierGuard {
            shared: self,
            table: self.lock(),
        };
        Ok(f(&mut guard.table))
    }

    /// Leaves the `waiting` count without having taken the lock (a modifier that could not
    /// wake the poller). The poller may be parked on `modifiers_done` waiting for this very
    /// modifier, or about to park; it must not be left there.
    fn withdraw(&self) {
        if self.waiting.fetch_sub(1, SeqCst) != 1 {
            // Another modifier is still announced; the last one to leave (with the lock
            // held, in `ModifierGuard::drop`, or here) signals the poller.
            return;
        }
        loop {
            let table = match self.table.try_lock() {
                Ok(table) => Some(table),
                Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            };
            if let Some(table) = table {
                // With the lock held the poller is either parked (the flag says so) or will
                // check `waiting` again before parking, and find it lowered.
                if table.poller_parked {
                    self.modifiers_done.notify_all();
                }
                return;
            }
            if self.polling.load(SeqCst) {
                // The poller passed its last check of `waiting` and is in (or entering)
                // poll(2), not parked; it checks `waiting` again before it ever parks.
                return;
            }
            // The lock is held briefly: by the poller between poll(2) and parking, or by
            // another modifier.
            yield_now();
        }
    }

    /// Waits until no modifier wants the lock, then marks the poller as polling. Returns with
    /// `polling` set and no modifier announced after it was set.
    fn enter_poll<'a>(&'a self, mut table: MutexGuard<'a, Table>) -> MutexGuard<'a, Table> {
        loop {
            while self.waiting.load(SeqCst) != 0 {
                table.poller_parked = true;
                table = self
                    .modifiers_done
                    .wait(table)
                    .unwrap_or_else(PoisonError::into_inner);
                table.poller_parked = false;
            }
            self.polling.store(true, SeqCst);
            if self.waiting.load(SeqCst) == 0 {
                return table;
            }
            // A modifier arrived in between: let it through first.
            self.polling.store(false, SeqCst);
        }
    }
}

impl Rearm for Shared {
    type Selector = Selector;

    fn of(selector: &Selector) -> &Arc<Shared> {
        &selector.shared
    }

    fn poller(&self) -> &PollerState {
        &self.poller
    }

    fn register(&self, fd: RawFd, token: Token, bits: PollBits) -> io::Result<u64> {
        self.wake_and_lock(|t| {
            t.add(fd, token, bits, SlotKind::Source)?;
            Ok(self.poller.epoch())
        })?
    }

    fn reregister(&self, fd: RawFd, token: Token, bits: PollBits) -> io::Result<u64> {
        self.wake_and_lock(|t| {
            t.reregister(fd, token, bits)?;
            Ok(self.poller.epoch())
        })?
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.wake_and_lock(|t| t.remove(fd, SlotKind::Source))?
    }

    fn rearm(&self, fd: RawFd, wanted: PollBits) -> io::Result<u64> {
        self.wake_and_lock(|t| {
            // Unknown (removed behind our back through `SourceFd`): nothing to arm, ever.
            let now = t.rearm(fd, wanted).unwrap_or(wanted);
            self.poller.record(now)
        })
    }

    fn forget(&self, fd: RawFd) {
        self.forget_slot(fd, SlotKind::Source);
    }
}

/// The poll(2) selector; clones share one table.
pub(crate) struct Selector {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selector")
            .field("notify_fd", &self.shared.notifier.fd())
            .finish()
    }
}

impl Drop for Selector {
    fn drop(&mut self) {
        self.shared.poller.handle_dropped();
    }
}

/// What is left of `timeout`, which ends at `deadline` (`None` if that overflowed `Instant`),
/// in poll(2) milliseconds; `None` once it is over.
fn remaining_ms(timeout: Option<Duration>, deadline: Option<Instant>) -> Option<libc::c_int> {
    match (timeout, deadline) {
        (None, _) => Some(-1),
        (Some(t), _) if t.is_zero() => None,
        // The deadline overflowed `Instant`: the wait is longer than any clamp anyway.
        (Some(t), None) => Some(timeout_ms(Some(t), MAX_TIMEOUT_MS)),
        (Some(_), Some(d)) => {
            let left = d.saturating_duration_since(Instant::now());
            (!left.is_zero()).then(|| timeout_ms(Some(left), MAX_TIMEOUT_MS))
        }
    }
}

impl SelectorApi for Selector {
    type Event = Event;

    fn new() -> io::Result<Selector> {
        let notifier = Notifier::new()?;
        let table = Mutex::new(Table::new(notifier.fd()));
        Ok(Selector {
            shared: Arc::new(Shared {
                table,
                modifiers_done: Condvar::new(),
                polling: AtomicBool::new(false),
                waiting: AtomicUsize::new(0),
                notifier,
                poller: PollerState::new(),
                orphans: Mutex::new(Vec::new()),
                has_orphans: AtomicBool::new(false),
                #[cfg(test)]
                wakes: AtomicUsize::new(0),
            }),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        self.shared.poller.handle_added();
        Ok(Selector {
            shared: Arc::clone(&self.shared),
        })
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        // `Poll::poll`, the only caller, refuses a buffer without room.
        debug_assert!(events.capacity() > 0);
        let shared = &*self.shared;
        let deadline = match timeout {
            Some(t) if !t.is_zero() => Instant::now().checked_add(t),
            _ => None,
        };
        let mut ms = timeout_ms(timeout, MAX_TIMEOUT_MS);
        let mut table = shared.lock();
        loop {
            table = shared.enter_poll(table);
            let n = sys_poll(table.pollfds_mut(), ms);
            shared.polling.store(false, SeqCst);
            // Slots dropped meanwhile report nothing (see `Shared::forget_slot`).
            shared.reap(&mut table);
            match n {
                Ok(0) => return Ok(()),
                Err(err) => {
                    // EAGAIN: the kernel was short of memory; try again with the time left.
                    // Anything else, EINTR included, goes to the caller.
                    if err.raw_os_error() != Some(libc::EAGAIN) {
                        return Err(err);
                    }
                }
                Ok(_) => {
                    // Results are used only under the lock held since poll(2) returned:
                    // no deregistration can have happened in between.
                    let found = table.collect(events, |fd| {
                        // Best effort: a Waker fd that cannot be read stays readable and is
                        // reported again, which is harmless.
                        let _ = notify::drain_fd(fd);
                    });
                    if found.disarmed {
                        // Still under the lock: see the epoch of `edge/`.
                        shared.poller.disarmed();
                    }
                    if found.woken {
                        let _ = shared.notifier.drain();
                    }
                    if !events.is_empty() {
                        return Ok(());
                    }
                }
            }
            // Only internal wake-ups (modifiers waiting): let them through in `enter_poll`
            // and poll again, discarding these results, for what is left of the timeout.
            match remaining_ms(timeout, deadline) {
                Some(left) => ms = left,
                None => return Ok(()),
            }
        }
    }

    fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.shared.register_interests(fd, token, interests)
    }

    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.shared.reregister_interests(fd, token, interests)
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        Rearm::deregister(&*self.shared, fd)
    }
}

/// poll(2) on `fds`, through its failpoint (the models' kernel under `--cfg loom`).
#[cfg(not(all(loom, test)))]
fn sys_poll(fds: &mut [libc::pollfd], ms: libc::c_int) -> io::Result<libc::c_int> {
    syscall!("poll", {
        // SAFETY: `fds` is a live, exclusively borrowed slice of `fds.len()` pollfd structs;
        // poll(2) only writes their `revents` fields.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) }
    })
}

/// The loom models' poll(2): their kernel's, which never fails.
#[cfg(all(loom, test))]
fn sys_poll(fds: &mut [libc::pollfd], ms: libc::c_int) -> io::Result<libc::c_int> {
    Ok(super::loom_kernel::poll(fds, ms))
}

/// Per-source state: the registration of `edge/`, over this backend's table.
pub(crate) type IoSourceState = super::edge::IoSourceState<Shared>;

// The unit tests need the real kernel; a loom build runs only the models. (They also need
// pipes, Wakers and threads, which WASI lacks.)
#[cfg(all(test, not(loom), unix))]
mod tests;

#[cfg(all(test, loom))]
mod loom_model;
