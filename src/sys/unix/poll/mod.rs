//! The poll(2) selector: any Unix, and any Unix build with `--cfg ferrio_force_poll` (or mio's
//! `--cfg mio_unsupported_force_poll_poll`).
//!
//! poll(2) is level-triggered and keeps no state, so this backend keeps the registrations in a
//! table (see `table.rs`) and emulates edge triggering on top of it:
//!
//! * when a source is reported, the reported directions are disarmed; what was not reported
//!   yet is still watched, so a later shutdown of the reading half (POLLRDHUP, where the system
//!   has it), hang-up or error is reported once; a hang-up or error disarms it entirely (its fd
//!   is stored negated, which poll(2) skips), so it cannot make poll spin;
//! * a direction is armed again by `reregister`, or by [`IoSourceState::do_io`] when the
//!   operation returns `WouldBlock` (only the directions that blocked). `SourceFd` users, whose
//!   I/O ferrio cannot see, re-arm by calling `reregister` after each event;
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
//! Re-arming after `WouldBlock` is the hot path: a direction that is still armed must not cost
//! a wake-up. Each registration remembers what was armed and the poller's `epoch`, which the
//! poller advances (under the lock) whenever it disarms anything. If the epoch has not moved,
//! nothing was disarmed since, and the re-arm is skipped without touching the lock. If the
//! poller is disarming the source right now (the epoch is about to move), it is also about to
//! report it, so the caller hears from the source again either way.
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

use libc::c_short;

use self::table::{blocked_bits, interest_bits, SlotKind, Table};
use super::atomic64::AtomicU64;
// The seams of the loom models (`loom_model.rs`): their kernel's eventfd and poll(2).
#[cfg(all(loom, test))]
use super::loom_kernel::{self as notify, Notifier};
#[cfg(not(all(loom, test)))]
use super::notify::{self, Notifier};
use super::timeout_ms;
use crate::sys::failpoints::syscall;
use crate::sys::sync::{yield_now, AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard};
use crate::sys::{already_registered, not_registered, EventApi, IoSourceApi, SelectorApi, Watch};
use crate::{Interest, Token};

#[cfg(not(ferrio_no_waker))]
pub(crate) use self::waker::Waker;

/// POLLRDHUP (the peer shut down its writing half) exists on Linux and Android only.
#[cfg(any(target_os = "linux", target_os = "android"))]
const POLLRDHUP: c_short = libc::POLLRDHUP;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const POLLRDHUP: c_short = 0;

/// POLLPRI (priority data), absent from WASI, where nothing is ever reported as priority.
#[cfg(not(ferrio_no_pollpri))]
pub(super) const POLLPRI: c_short = libc::POLLPRI;
#[cfg(ferrio_no_pollpri)]
pub(super) const POLLPRI: c_short = 0;

/// Whether `revents` says the reading half is shut: the peer shut down its writing half, or
/// this end shut down reading (never, where POLLRDHUP is absent).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn peer_shut_down(revents: c_short) -> bool {
    revents & POLLRDHUP != 0
}
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn peer_shut_down(_revents: c_short) -> bool {
    false
}

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
    revents: c_short,
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }
    fn is_readable(&self) -> bool {
        self.revents & (libc::POLLIN | POLLPRI) != 0
    }
    fn is_writable(&self) -> bool {
        self.revents & libc::POLLOUT != 0
    }
    fn is_error(&self) -> bool {
        // POLLNVAL: the fd was closed while registered (the slot is gone after this event).
        self.revents & (libc::POLLERR | libc::POLLNVAL) != 0
    }
    fn is_read_closed(&self) -> bool {
        let r = self.revents;
        r & libc::POLLHUP != 0 || (r & libc::POLLIN != 0 && peer_shut_down(r))
    }
    fn is_write_closed(&self) -> bool {
        let r = self.revents;
        r & libc::POLLHUP != 0
            || (r & libc::POLLOUT != 0 && r & libc::POLLERR != 0)
            || r == libc::POLLERR
    }
    // Without POLLPRI (WASI) the mask is zero: never priority.
    #[cfg_attr(ferrio_no_pollpri, allow(clippy::bad_bit_mask))]
    fn is_priority(&self) -> bool {
        self.revents & POLLPRI != 0
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
struct Shared {
    table: Mutex<Table>,
    /// Signalled when the last waiting modifier is done, if the poller is parked on it.
    modifiers_done: Condvar,
    /// True while the polling thread is in (or about to enter) poll(2).
    polling: AtomicBool,
    /// Threads that want the table's lock to change it.
    waiting: AtomicUsize,
    /// Live `Selector` handles (the `Poll` and its `Registry` clones). At zero the poller is
    /// gone, and a source still registered with it may be registered elsewhere.
    handles: AtomicUsize,
    /// Watched in slot 0 of the table: wakes the poller for modifiers.
    notifier: Notifier,
    /// Advanced under the table's lock whenever the poller disarms a source; see
    /// [`Registration::armed`].
    epoch: AtomicU64,
    /// Slots of sources and Wakers dropped while the poller sat in poll(2) and could not be
    /// woken (see [`Shared::forget`]): removed by the next thread to take the table's lock.
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
    fn forget(&self, fd: RawFd, kind: SlotKind) {
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

    /// Removes the orphaned slots (see [`Shared::forget`]); `table` is the locked table.
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

    /// Adds `fd`, fully armed; returns the epoch at that moment.
    fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<u64> {
        self.wake_and_lock(|t| {
            t.add(fd, token, interest_bits(interests), SlotKind::Source)?;
            Ok(self.epoch.load(SeqCst))
        })?
    }

    /// Replaces token and interests of `fd` and arms it fully; returns the epoch then.
    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<u64> {
        self.wake_and_lock(|t| {
            t.reregister(fd, token, interest_bits(interests))?;
            Ok(self.epoch.load(SeqCst))
        })?
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.wake_and_lock(|t| t.remove(fd, SlotKind::Source))?
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
        self.shared.handles.fetch_sub(1, SeqCst);
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
                handles: AtomicUsize::new(1),
                notifier,
                epoch: AtomicU64::new(0),
                orphans: Mutex::new(Vec::new()),
                has_orphans: AtomicBool::new(false),
                #[cfg(test)]
                wakes: AtomicUsize::new(0),
            }),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        self.shared.handles.fetch_add(1, SeqCst);
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
            // Slots dropped meanwhile report nothing (see `Shared::forget`).
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
                        // Still under the lock: see `Registration::armed`.
                        shared.epoch.fetch_add(1, SeqCst);
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
        self.shared.register(fd, token, interests).map(drop)
    }

    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.shared.reregister(fd, token, interests).map(drop)
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.shared.deregister(fd)
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

/// Where a source is registered: its selector's shared state and its fd.
#[derive(Debug)]
struct Registration {
    shared: Arc<Shared>,
    fd: RawFd,
    /// The poll(2) bits of the registered interests.
    interests: c_short,
    /// What is known to be armed: a record (see [`armed_record`]) of `epoch` and `bits` means
    /// the slot had (at least) `bits` armed when the poller's epoch was `epoch`. Recorded
    /// under the table's lock; as long as the epoch has not moved since, the poller has
    /// disarmed nothing, so re-arming `bits` would change nothing and is skipped without
    /// waking the poller. Threads doing I/O on the same source may overwrite each other's
    /// record; that only costs a re-arm that could have been skipped.
    armed: AtomicU64,
}

/// The poll(2) bits a registration can have armed, each stored as one bit of a record.
const ARMABLE: [c_short; 4] = [libc::POLLIN, POLLPRI, libc::POLLOUT, POLLRDHUP];

/// The bits of `ARMABLE` that `bits` has, packed into the low 4 bits.
fn compact(bits: c_short) -> u64 {
    ARMABLE
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b != 0 && bits & b == b)
        .fold(0, |acc, (i, _)| acc | 1 << i)
}

/// Packs a record for [`Registration::armed`]: the epoch above 4 bits of `compact(bits)`. Its
/// 60 bits of epoch would take over 30 000 years to wrap at a million polls a second.
fn armed_record(epoch: u64, bits: c_short) -> u64 {
    epoch << 4 | compact(bits)
}

impl Registration {
    fn new(shared: &Arc<Shared>, fd: RawFd, interests: Interest, epoch: u64) -> Registration {
        let interests = interest_bits(interests);
        Registration {
            shared: Arc::clone(shared),
            fd,
            interests,
            armed: AtomicU64::new(armed_record(epoch, interests)),
        }
    }

    /// Arms `bits` again (after `WouldBlock`), unless they are known to be armed still.
    fn rearm(&self, bits: c_short) -> io::Result<()> {
        let wanted = bits & self.interests;
        if wanted == 0 {
            return Ok(());
        }
        // `wanted` holds only bits of `ARMABLE`, so `compact` loses nothing of it.
        let record = self.armed.load(SeqCst);
        if record >> 4 == self.shared.epoch.load(SeqCst) & (u64::MAX >> 4)
            && compact(wanted) & !record & 0xf == 0
        {
            return Ok(());
        }
        let shared = &*self.shared;
        let fd = self.fd;
        let record = shared.wake_and_lock(|t| {
            // Unknown (removed behind our back through `SourceFd`): nothing to arm, ever.
            let now = t.rearm(fd, bits).unwrap_or(wanted);
            armed_record(shared.epoch.load(SeqCst), now)
        })?;
        self.armed.store(record, SeqCst);
        Ok(())
    }
}

/// Per-source state: the registration, so that `do_io` can re-arm the source and dropping it
/// removes the table entry before the fd is closed (a reused fd number never meets a stale
/// entry).
#[derive(Debug)]
pub(crate) struct IoSourceState {
    registration: Option<Registration>,
}

impl IoSourceState {
    /// The registration, if it was made with `selector`'s poller.
    fn registered_with(&self, selector: &Selector) -> io::Result<&Registration> {
        match &self.registration {
            Some(r) if Arc::ptr_eq(&r.shared, &selector.shared) => Ok(r),
            _ => Err(not_registered(None)),
        }
    }
}

impl IoSourceApi for IoSourceState {
    type Selector = Selector;

    fn new() -> Self {
        IoSourceState { registration: None }
    }

    fn register(&mut self, selector: &Selector, fd: RawFd, watch: Watch) -> io::Result<()> {
        let Watch { token, interests } = watch;
        if let Some(old) = &self.registration {
            if old.shared.handles.load(SeqCst) != 0 {
                // Registered already, with this poller or another one that still exists.
                return Err(already_registered(None));
            }
            // The poller it was registered with is gone (as on epoll, where closing the epoll
            // fd ends every registration): forget that registration.
            self.registration = None;
        }
        let epoch = selector.shared.register(fd, token, interests)?;
        self.registration = Some(Registration::new(&selector.shared, fd, interests, epoch));
        Ok(())
    }

    fn reregister(&mut self, selector: &Selector, fd: RawFd, watch: Watch) -> io::Result<()> {
        let Watch { token, interests } = watch;
        self.registered_with(selector)?;
        let epoch = selector.shared.reregister(fd, token, interests)?;
        self.registration = Some(Registration::new(&selector.shared, fd, interests, epoch));
        Ok(())
    }

    fn deregister(&mut self, selector: &Selector, fd: RawFd) -> io::Result<()> {
        self.registered_with(selector)?;
        let result = selector.shared.deregister(fd);
        // Gone from the table either way (NotFound: someone removed it through `SourceFd`).
        if result
            .as_ref()
            .map_or_else(|e| e.kind() == io::ErrorKind::NotFound, |_| true)
        {
            self.registration = None;
        }
        result
    }

    fn do_io<T, F>(&self, _fd: RawFd, blocked: Interest, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        let result = f();
        if let (Err(e), Some(r)) = (&result, &self.registration) {
            if e.kind() == io::ErrorKind::WouldBlock {
                let bits = blocked_bits(blocked);
                // A re-arm that could not be made would leave the caller waiting for an
                // event that never comes: its error replaces `WouldBlock`.
                r.rearm(bits)?;
            }
        }
        result
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        if let Some(r) = self.registration.take() {
            r.shared.forget(r.fd, SlotKind::Source);
        }
    }
}

// The unit tests need the real kernel; a loom build runs only the models. (They also need
// pipes, Wakers and threads, which WASI lacks.)
#[cfg(all(test, not(loom), unix))]
mod tests;

#[cfg(all(test, loom))]
mod loom_model;
