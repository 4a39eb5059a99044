//! Edge triggering emulated on top of registrations that the kernel does not keep armed: the
//! poll(2) backend (level-triggered, armed by its own table) and Solaris event ports (one-shot
//! associations). Both follow one rule, written here once:
//!
//! * when a source is reported, the directions reported are disarmed (the backend decides what
//!   else: poll(2) keeps watching the rest; an event port has dropped the association, so the
//!   poller associates the rest again);
//! * a direction is armed again by `reregister` (all of them), or by [`IoSourceState::do_io`]
//!   when the operation returns `WouldBlock` (only the directions that blocked). `SourceFd`
//!   users, whose I/O ferrio cannot see, re-arm by calling `reregister` after each event.
//!
//! Re-arming after `WouldBlock` is the hot path: a direction that is still armed must not cost
//! a system call or a lock. Each [`Registration`] remembers what was armed and the backend's
//! `epoch`, which the poller advances (under its table's lock) whenever it disarms anything. If
//! the epoch has not moved, nothing was disarmed since, and the re-arm is skipped. If the
//! poller is disarming the source right now (the epoch is about to move), it is also about to
//! report it, so the caller hears from the source again either way.
//!
//! - `bits.rs`: the poll(2) bits: interests, disarming, re-arming, readiness.
//! - this file: the per-source state ([`IoSourceState`]) over a backend's [`Rearm`], and the
//!   epoch and selector-handle count that both backends keep ([`PollerState`]).

mod bits;

pub(crate) use self::bits::*;

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;

use super::atomic64::AtomicU64;
use crate::sys::sync::AtomicUsize;
use crate::sys::{already_registered, not_registered, IoSourceApi, SelectorApi, Watch};
use crate::{Interest, Token};

/// What the per-source state reads of its poller without the table's lock, and what the
/// selector handles count: the same on both emulating backends, held once here.
#[derive(Debug)]
pub(crate) struct PollerState {
    /// Advanced under the table's lock whenever the poller disarms a source (see the epoch in
    /// this module's docs).
    epoch: AtomicU64,
    /// Live selector handles (the `Poll` and its `Registry` clones). At zero the poller is
    /// gone, and a source still registered with it may be registered elsewhere.
    handles: AtomicUsize,
}

impl PollerState {
    /// The state of a new poller: epoch 0, one selector handle.
    pub(crate) fn new() -> PollerState {
        PollerState {
            epoch: AtomicU64::new(0),
            handles: AtomicUsize::new(1),
        }
    }

    /// The epoch now.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(SeqCst)
    }

    /// The poller disarmed a source: moves the epoch. Called under the table's lock.
    pub(crate) fn disarmed(&self) {
        self.epoch.fetch_add(1, SeqCst);
    }

    /// The record ([`armed_record`]) of `bits` armed now. Called under the table's lock.
    pub(crate) fn record(&self, bits: PollBits) -> u64 {
        armed_record(self.epoch(), bits)
    }

    /// A selector handle was cloned.
    pub(crate) fn handle_added(&self) {
        self.handles.fetch_add(1, SeqCst);
    }

    /// A selector handle was dropped.
    pub(crate) fn handle_dropped(&self) {
        self.handles.fetch_sub(1, SeqCst);
    }

    /// Whether every selector handle is gone.
    fn gone(&self) -> bool {
        self.handles.load(SeqCst) == 0
    }

    /// Stores the epoch's initial value again as a `SeqCst` store, for the loom models (see
    /// `poll/loom_model.rs`).
    #[cfg(all(loom, test))]
    pub(crate) fn seqcst_init(&self) {
        self.epoch.store(0, SeqCst);
    }
}

/// What an emulating backend's shared state (one per poller, shared by its selector handles
/// and its sources) offers the per-source state.
pub(crate) trait Rearm: Sized + Send + Sync + std::fmt::Debug {
    /// The backend's selector.
    type Selector: SelectorApi;
    /// The shared state behind `selector`.
    fn of(selector: &Self::Selector) -> &Arc<Self>;
    /// The epoch and the handle count.
    fn poller(&self) -> &PollerState;
    /// Adds `fd`, fully armed; returns the epoch at that moment.
    fn register(&self, fd: RawFd, token: Token, bits: PollBits) -> io::Result<u64>;
    /// Replaces token and interests of `fd` and arms it fully; returns the epoch then.
    fn reregister(&self, fd: RawFd, token: Token, bits: PollBits) -> io::Result<u64>;
    fn deregister(&self, fd: RawFd) -> io::Result<()>;
    /// Arms `wanted` again (non-empty, within the registered interests); returns the record
    /// ([`armed_record`]) of what is armed afterwards, made under the table's lock.
    fn rearm(&self, fd: RawFd, wanted: PollBits) -> io::Result<u64>;
    /// Removes the registration of a source being dropped, whose fd is closed right after.
    fn forget(&self, fd: RawFd);

    /// Whether every selector handle of this poller is gone (a source registered with it may
    /// then be registered elsewhere, as on epoll, where closing the epoll fd ends everything).
    fn poller_gone(&self) -> bool {
        self.poller().gone()
    }

    /// The epoch: advanced (under the table's lock) whenever the poller disarms a source.
    fn epoch(&self) -> u64 {
        self.poller().epoch()
    }

    /// `SelectorApi::register`: [`Rearm::register`] with `interests`.
    fn register_interests(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.register(fd, token, interest_bits(interests)).map(drop)
    }

    /// `SelectorApi::reregister`: [`Rearm::reregister`] with `interests`.
    fn reregister_interests(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.reregister(fd, token, interest_bits(interests))
            .map(drop)
    }
}

/// Where a source is registered: its poller's shared state and its fd.
#[derive(Debug)]
struct Registration<S: Rearm> {
    shared: Arc<S>,
    fd: RawFd,
    /// The poll(2) bits of the registered interests.
    interests: PollBits,
    /// What is known to be armed: a record (see [`armed_record`]) of `epoch` and `bits` means
    /// the registration had (at least) `bits` armed when the poller's epoch was `epoch`.
    /// Recorded under the table's lock; as long as the epoch has not moved since, the poller
    /// has disarmed nothing, so re-arming `bits` would change nothing and is skipped. Threads
    /// doing I/O on the same source may overwrite each other's record; that only costs a
    /// re-arm that could have been skipped.
    armed: AtomicU64,
}

impl<S: Rearm> Registration<S> {
    fn new(shared: &Arc<S>, fd: RawFd, interests: Interest, epoch: u64) -> Registration<S> {
        let interests = interest_bits(interests);
        Registration {
            shared: Arc::clone(shared),
            fd,
            interests,
            armed: AtomicU64::new(armed_record(epoch, interests)),
        }
    }

    /// Arms `bits` again (after `WouldBlock`), unless they are known to be armed still.
    fn rearm(&self, bits: PollBits) -> io::Result<()> {
        let wanted = bits & self.interests;
        if wanted == 0 {
            return Ok(());
        }
        // `wanted` holds only armable bits, so `compact` loses nothing of it.
        let record = self.armed.load(SeqCst);
        if record >> 4 == self.shared.epoch() & (u64::MAX >> 4)
            && compact(wanted) & !record & 0xf == 0
        {
            return Ok(());
        }
        let record = self.shared.rearm(self.fd, wanted)?;
        self.armed.store(record, SeqCst);
        Ok(())
    }
}

/// Per-source state: the registration, so that `do_io` can re-arm the source and dropping it
/// removes the backend's entry before the fd is closed (a reused fd number never meets a stale
/// entry).
#[derive(Debug)]
pub(crate) struct IoSourceState<S: Rearm> {
    registration: Option<Registration<S>>,
}

impl<S: Rearm> IoSourceState<S> {
    /// The registration, if it was made with `selector`'s poller.
    fn registered_with(&self, selector: &S::Selector) -> io::Result<&Registration<S>> {
        match &self.registration {
            Some(r) if Arc::ptr_eq(&r.shared, S::of(selector)) => Ok(r),
            _ => Err(not_registered(None)),
        }
    }
}

impl<S: Rearm> IoSourceApi for IoSourceState<S> {
    type Selector = S::Selector;

    fn new() -> Self {
        IoSourceState { registration: None }
    }

    fn register(&mut self, selector: &S::Selector, fd: RawFd, watch: Watch) -> io::Result<()> {
        let Watch { token, interests } = watch;
        if let Some(old) = &self.registration {
            if !old.shared.poller_gone() {
                // Registered already, with this poller or another one that still exists.
                return Err(already_registered(None));
            }
            // The poller it was registered with is gone (as on epoll, where closing the epoll
            // fd ends every registration): forget that registration.
            self.registration = None;
        }
        let shared = S::of(selector);
        let epoch = shared.register(fd, token, interest_bits(interests))?;
        self.registration = Some(Registration::new(shared, fd, interests, epoch));
        Ok(())
    }

    fn reregister(&mut self, selector: &S::Selector, fd: RawFd, watch: Watch) -> io::Result<()> {
        let Watch { token, interests } = watch;
        self.registered_with(selector)?;
        let shared = S::of(selector);
        let epoch = shared.reregister(fd, token, interest_bits(interests))?;
        self.registration = Some(Registration::new(shared, fd, interests, epoch));
        Ok(())
    }

    fn deregister(&mut self, selector: &S::Selector, fd: RawFd) -> io::Result<()> {
        self.registered_with(selector)?;
        let result = S::of(selector).deregister(fd);
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
                // A re-arm that could not be made would leave the caller waiting for an
                // event that never comes: its error replaces `WouldBlock`.
                r.rearm(blocked_bits(blocked))?;
            }
        }
        result
    }
}

impl<S: Rearm> Drop for IoSourceState<S> {
    fn drop(&mut self) {
        if let Some(r) = self.registration.take() {
            r.shared.forget(r.fd);
        }
    }
}
