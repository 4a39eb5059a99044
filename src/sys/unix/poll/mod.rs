//! The poll(2) selector: any Unix, and any Unix build with `--cfg ferrio_force_poll` (or mio's
//! `--cfg mio_unsupported_force_poll_poll`).
//!
//! poll(2) is level-triggered and keeps no state, so this backend keeps the registrations in a
//! table (see `table.rs`) and emulates edge triggering on top of it:
//!
//! * when a source is reported, the reported directions are disarmed (a later hang-up or
//!   error is still reported once); a hang-up or error disarms it entirely (its fd is stored
//!   negated, which poll(2) skips), so it cannot make poll spin;
//! * a direction is armed again by `reregister`, or by [`IoSourceState::do_io`] when the
//!   operation returns `WouldBlock` (only the directions that blocked). `SourceFd` users, whose
//!   I/O ferrio cannot see, re-arm by calling `reregister` after each event.
//!
//! The polling thread holds the table's lock while it sleeps in poll(2). A thread that changes
//! the table (register, re-arm, a Waker's drop) announces itself in `waiting` and, if the poller
//! is inside poll(2) (`polling`), wakes it through the internal notifier; the poller then lets
//! the modifiers through and polls again with what is left of the timeout, so the change takes
//! effect in the same `select` call. Both flags are `SeqCst`: a modifier either sees the poller
//! in poll(2) and wakes it, or the poller sees the modifier and yields before polling. Changes
//! made while nobody polls cost no system call beyond the uncontended lock.

mod table;

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use libc::c_short;

use self::table::{interest_bits, Table};
use super::notify::{self, Notifier};
use super::{not_registered, timeout_ms, EventApi, IoSourceApi, SelectorApi};
use crate::{Interest, Token};

/// POLLRDHUP (the peer shut down its writing half) exists on Linux and Android only.
#[cfg(any(target_os = "linux", target_os = "android"))]
const POLLRDHUP: c_short = libc::POLLRDHUP;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const POLLRDHUP: c_short = 0;

/// Whether `revents` says the peer shut down its writing half (never, where POLLRDHUP is absent).
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

fn interests_to_poll(interests: Interest) -> c_short {
    interest_bits(
        interests.is_readable(),
        interests.is_writable(),
        interests.is_priority(),
        false,
    )
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
}

/// Holds the table for a modifier; on drop it leaves the `waiting` count (while still holding
/// the lock, so the poller's check-then-park cannot miss it) and then unlocks.
struct ModifyGuard<'a> {
    shared: &'a Shared,
    table: MutexGuard<'a, Table>,
}

impl Drop for ModifyGuard<'_> {
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
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the table, waking the poller out of poll(2) first if it is in there.
    fn modify<R>(&self, f: impl FnOnce(&mut Table) -> R) -> R {
        self.waiting.fetch_add(1, SeqCst);
        if self.polling.load(SeqCst) {
            // Cannot fail in practice (a full counter or pipe is drained and retried); were it
            // to, the poller would still release the lock when its poll(2) returns.
            let _ = self.notifier.notify();
        }
        let mut guard = ModifyGuard {
            shared: self,
            table: self.lock(),
        };
        f(&mut guard.table)
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

    fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.modify(|t| t.add(fd, token, interests_to_poll(interests), false))
    }

    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.modify(|t| t.modify(fd, token, interests_to_poll(interests)))
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.modify(|t| t.remove(fd, false))
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
        if events.capacity() == 0 {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        let shared = &*self.shared;
        let deadline = match timeout {
            Some(t) if !t.is_zero() => Instant::now().checked_add(t),
            _ => None,
        };
        let mut ms = timeout_ms(timeout, MAX_TIMEOUT_MS);
        let mut table = shared.lock();
        loop {
            table = shared.enter_poll(table);
            let fds = table.pollfds_mut();
            // SAFETY: `fds` is a live, exclusively borrowed slice of `fds.len()` pollfd
            // structs; poll(2) only writes their `revents` fields.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            shared.polling.store(false, SeqCst);
            match n {
                0 => return Ok(()),
                -1 => {
                    let err = io::Error::last_os_error();
                    // EAGAIN: the kernel was short of memory; try again with the time left.
                    // Anything else, EINTR included, goes to the caller.
                    if err.raw_os_error() != Some(libc::EAGAIN) {
                        return Err(err);
                    }
                }
                _ => {
                    // Results are used only under the lock held since poll(2) returned:
                    // no deregistration can have happened in between.
                    let woken = table.collect(events, |fd| {
                        // Best effort: a Waker fd that cannot be read stays readable and is
                        // reported again, which is harmless.
                        let _ = notify::drain_fd(fd);
                    });
                    if woken {
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
        self.shared.register(fd, token, interests)
    }

    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.shared.reregister(fd, token, interests)
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.shared.deregister(fd)
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }
    fn is_readable(&self) -> bool {
        self.revents & (libc::POLLIN | libc::POLLPRI) != 0
    }
    fn is_writable(&self) -> bool {
        self.revents & libc::POLLOUT != 0
    }
    fn is_error(&self) -> bool {
        self.revents & libc::POLLERR != 0
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
    fn is_priority(&self) -> bool {
        self.revents & libc::POLLPRI != 0
    }
    fn is_aio(&self) -> bool {
        false
    }
    fn is_lio(&self) -> bool {
        false
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let revents = self.revents;
        f.debug_struct("pollfd")
            .field("revents", &format_args!("{revents:#x}"))
            .field("token", &self.token.0)
            .finish()
    }
}

/// Where a source is registered: its selector's shared state and its fd.
#[derive(Debug)]
struct Registration {
    shared: Arc<Shared>,
    fd: RawFd,
}

impl Drop for Selector {
    fn drop(&mut self) {
        self.shared.handles.fetch_sub(1, SeqCst);
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("notify_fd", &self.notifier.fd())
            .finish()
    }
}

/// Per-source state: the registration, so that `do_io` can re-arm the source and dropping it
/// removes the table entry before the fd is closed (a reused fd number never meets a stale
/// entry).
#[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
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

    fn register(
        &mut self,
        selector: &Selector,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        if let Some(old) = &self.registration {
            if old.shared.handles.load(SeqCst) != 0 {
                // Registered already, with this poller or another one that still exists.
                return Err(super::already_registered(None));
            }
            // The poller it was registered with is gone (as on epoll, where closing the epoll
            // fd ends every registration): forget that registration.
            self.registration = None;
        }
        selector.shared.register(fd, token, interests)?;
        self.registration = Some(Registration {
            shared: Arc::clone(&selector.shared),
            fd,
        });
        Ok(())
    }

    fn reregister(
        &mut self,
        selector: &Selector,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.registered_with(selector)?;
        selector.shared.reregister(fd, token, interests)
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

    fn do_io<T, F>(&self, fd: RawFd, blocked: Interest, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        let result = f();
        if let (Err(e), Some(r)) = (&result, &self.registration) {
            if e.kind() == io::ErrorKind::WouldBlock {
                let bits = interest_bits(
                    blocked.is_readable(),
                    blocked.is_writable(),
                    blocked.is_priority(),
                    true,
                );
                r.shared.modify(|t| t.rearm(fd, bits));
            }
        }
        result
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        if let Some(r) = self.registration.take() {
            // NotFound (deregistered behind our back through `SourceFd`) is fine.
            let _ = r.shared.deregister(r.fd);
        }
    }
}

/// A Waker is its own notifier in the table, flagged as a Waker: the poller recognises its
/// wake-ups by the slot, never by the token (which other sources may share), drains it when
/// it reports it and keeps it armed.
#[derive(Debug)]
pub(crate) struct Waker {
    shared: Arc<Shared>,
    notifier: Notifier,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let notifier = Notifier::new()?;
        selector
            .shared
            .modify(|t| t.add(notifier.fd(), token, libc::POLLIN, true))?;
        Ok(Waker {
            shared: Arc::clone(&selector.shared),
            notifier,
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        self.notifier.notify()
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        // The slot goes before the notifier's fd is closed (the fields drop after this).
        let fd = self.notifier.fd();
        let _ = self.shared.modify(|t| t.remove(fd, true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(revents: c_short) -> Event {
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
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
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
    fn select_with_waker_and_internal_wakes() {
        let selector = Selector::new().unwrap();
        let waker = Waker::new(&selector, Token(7)).unwrap();
        let mut events = Vec::with_capacity(4);
        selector.select(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
        // A modification while nobody polls leaves no pending internal wake-up.
        selector.shared.modify(|_| ());
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
}
