//! The kernel-free part of the Windows selector: one registered socket's AFD poll request as a
//! state machine (idle, pending, cancelled) and the selector's update queue of states whose
//! request must be (re)submitted. The selector (`selector.rs`) owns the completion port and
//! the helper handles, decides when to update the queue, and dequeues the packets whose
//! states [`Queue::completed`] reads.
//!
//! The kernel is behind [`Driver`]: `afd::Afd` on Windows; a fake in the loom model
//! (`loom_model.rs`), for which this file is also compiled on Linux (unit tests only, like the
//! kqueue backend's `rules.rs`). The synchronisation types come from `crate::sys::sync`, so
//! under `--cfg loom` the model runs this very code over loom's.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::io;
use std::mem;
use std::sync::atomic::{AtomicUsize as Counter, Ordering};

use crate::sys::sync::{Arc, AtomicBool, Mutex, MutexGuard};
use crate::Token;

/// What a finished request reported (see [`Driver::outcome`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// These event bits (0 for none: cancelled, or nothing to say).
    Events(u32),
    /// The socket was closed locally: nothing can be reported for it any more.
    Closed,
}

/// What the state machine needs of an AFD helper handle.
///
/// # Safety
///
/// `Io` may hold raw pointers (the socket handle in the poll buffer) but they must be plain
/// values that nothing dereferences in this process, so that a state can move between threads
/// (`SockState` is `Send`).
pub(super) unsafe trait Driver {
    /// The buffers the driver writes while a request is in flight.
    type Io;
    /// Every event bit a request can ask for.
    const KNOWN_EVENTS: u32;

    fn new_io() -> Box<Self::Io>;

    /// Submits a poll request for `events` of `socket`. `Ok` means a completion packet
    /// carrying `context` will arrive on the port (at once or later); an error means none will.
    ///
    /// # Safety
    ///
    /// No request may be in flight on `io`; `io` must stay valid and unmoved, and nobody else
    /// may touch it, until that packet has been dequeued.
    unsafe fn submit(
        &self,
        io: &Self::Io,
        socket: u64,
        events: u32,
        context: *const c_void,
    ) -> io::Result<()>;

    /// Asks the driver to finish the request in flight on `io` early.
    ///
    /// # Safety
    ///
    /// `io` must belong to a request submitted on this handle whose packet has not been
    /// dequeued yet.
    unsafe fn cancel(&self, io: &Self::Io) -> io::Result<()>;

    /// What the finished request on `io` reported.
    ///
    /// # Safety
    ///
    /// Its packet must have been dequeued (the driver no longer writes `io`).
    unsafe fn outcome(io: &Self::Io) -> Outcome;

    /// Requests submitted on this handle whose packet has not been dequeued yet.
    fn in_flight(&self) -> &Counter;

    /// Whether a failed submission says the socket is gone (closed behind our back).
    fn socket_gone(err: &io::Error) -> bool;
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while a state was locked leaves it consistent enough to keep using.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Idle,
    Pending,
    Cancelled,
}

pub(super) struct SockState<D: Driver> {
    pub(super) io: Box<D::Io>,
    /// The helper handle the requests go through; released (set to `None`) once the state is
    /// deleted and no request is in flight, so that an unused helper can be closed.
    pub(super) afd: Option<Arc<D>>,
    /// The base socket (a `RawSocket`).
    pub(super) base: u64,
    pub(super) token: Token,
    /// The bits of the registered interests.
    pub(super) registered: u32,
    /// The bits currently armed: registered, not yet reported, or re-armed since.
    pub(super) armed: u32,
    /// The bits the request in flight asks for.
    pub(super) pending: u32,
    pub(super) status: Status,
    pub(super) deleted: bool,
    /// In the selector's update queue.
    pub(super) queued: bool,
    /// The error of the last failed submission, reported until one succeeds.
    pub(super) error: Option<i32>,
}

// SAFETY: the raw pointers inside (`HANDLE` in the poll buffer) are plain values the driver
// reads (the promise of `Driver`); the buffers are touched by this crate only under the
// state's mutex and only while no request is in flight.
unsafe impl<D: Driver + Send + Sync> Send for SockState<D> {}

pub(super) type StateRef<D> = Arc<Mutex<SockState<D>>>;

impl<D: Driver> SockState<D> {
    /// A new registration's state, with `flags` registered and armed, not queued yet.
    pub(super) fn new(afd: Arc<D>, base: u64, token: Token, flags: u32) -> SockState<D> {
        SockState {
            io: D::new_io(),
            afd: Some(afd),
            base,
            token,
            registered: flags,
            armed: flags,
            pending: 0,
            status: Status::Idle,
            deleted: false,
            queued: false,
            error: None,
        }
    }

    /// Submits, cancels or leaves the request as the armed bits require.
    pub(super) fn update(&mut self, me: &StateRef<D>) -> io::Result<()> {
        let Some(afd) = &self.afd else {
            // Deleted: nothing to watch any more.
            return Ok(());
        };
        match self.status {
            Status::Pending => {
                if self.armed & D::KNOWN_EVENTS & !self.pending != 0 {
                    // The request in flight misses a wanted bit: cancel it; its completion
                    // resubmits with the current set.
                    // SAFETY: the request is in flight on `afd` and its packet not dequeued
                    // (it would have set the status to Idle under this lock).
                    unsafe { afd.cancel(&self.io) }?;
                    self.status = Status::Cancelled;
                }
                Ok(())
            }
            Status::Cancelled => Ok(()),
            Status::Idle => {
                if self.armed & D::KNOWN_EVENTS == 0 {
                    return Ok(());
                }
                let context = Arc::into_raw(Arc::clone(me)) as *const c_void;
                // SAFETY: no request is in flight (Idle). The buffers are boxed in the state,
                // which the reference passed as `context` keeps alive until the packet is
                // dequeued; they are not touched while the status is Pending or Cancelled.
                let result = unsafe { afd.submit(&self.io, self.base, self.armed, context) };
                match result {
                    Ok(()) => {
                        afd.in_flight().fetch_add(1, Ordering::Relaxed);
                        self.status = Status::Pending;
                        self.pending = self.armed;
                        Ok(())
                    }
                    Err(err) => {
                        // SAFETY: no packet will come, so the reference made above is ours.
                        drop(unsafe { Arc::from_raw(context as *const Mutex<SockState<D>>) });
                        if D::socket_gone(&err) {
                            // The socket is gone: nothing can be reported for it any more.
                            self.deleted = true;
                            return Ok(());
                        }
                        Err(err)
                    }
                }
            }
        }
    }

    /// Stops every report for this registration. The state is freed when its last packet
    /// (if any) has been dequeued. Returns the helper handle if the state no longer needs it
    /// (no request in flight), for the selector's `release_afd`.
    #[must_use]
    pub(super) fn mark_deleted(&mut self) -> Option<Arc<D>> {
        if !self.deleted {
            self.deleted = true;
            if let (Status::Pending, Some(afd)) = (self.status, &self.afd) {
                // SAFETY: the status is Pending, so the request was submitted on `afd` and its
                // packet has not been dequeued (dequeuing sets Idle under this same lock). A
                // failure only delays the packet, which is then dropped unread.
                let _ = unsafe { afd.cancel(&self.io) };
                self.status = Status::Cancelled;
            }
        }
        self.done_with_afd()
    }

    /// The helper handle, taken out of a deleted state that has no request in flight.
    pub(super) fn done_with_afd(&mut self) -> Option<Arc<D>> {
        if self.deleted && self.status == Status::Idle {
            self.afd.take()
        } else {
            None
        }
    }

    /// Reads the finished request (its packet was just dequeued) and returns the event bits
    /// to report (0 for none).
    pub(super) fn complete(&mut self) -> u32 {
        if let Some(afd) = &self.afd {
            afd.in_flight().fetch_sub(1, Ordering::Relaxed);
        }
        self.status = Status::Idle;
        self.pending = 0;
        if self.deleted {
            return 0;
        }
        // SAFETY: the packet was dequeued, so the driver no longer writes the buffers, and
        // `self` (borrowed mutably) is the only other user of them.
        let events = match unsafe { D::outcome(&self.io) } {
            Outcome::Events(events) => events,
            Outcome::Closed => {
                self.deleted = true;
                return 0;
            }
        };
        let events = events & self.armed;
        self.armed &= !events;
        events
    }
}

/// Unlocks `s` and, if it is deleted with no request in flight, gives its helper handle back
/// through `release`.
pub(super) fn release_if_done<D: Driver>(
    mut s: MutexGuard<'_, SockState<D>>,
    release: impl FnOnce(Arc<D>),
) {
    if let Some(afd) = s.done_with_afd() {
        drop(s);
        release(afd);
    }
}

/// The selector's update queue: the states whose request must be (re)submitted, or whose
/// last submission failed.
pub(super) struct Queue<D: Driver> {
    queue: Mutex<VecDeque<StateRef<D>>>,
    /// The other buffer of the queue, swapped with `queue` by each update. Its lock is held
    /// for the whole update, so updates (the poller's, and those of `after_change` in other
    /// threads) run one at a time and the two buffers are only ever swapped, never replaced.
    spare: Mutex<VecDeque<StateRef<D>>>,
    /// The states whose submission failed in the last update (they are queued again too),
    /// for `report_errors`.
    failed: Mutex<Vec<StateRef<D>>>,
    /// A thread is in (or about to enter) `select`'s wait.
    pub(super) polling: AtomicBool,
}

impl<D: Driver> Queue<D> {
    pub(super) fn new() -> Queue<D> {
        Queue {
            queue: Mutex::new(VecDeque::new()),
            spare: Mutex::new(VecDeque::new()),
            failed: Mutex::new(Vec::new()),
            polling: AtomicBool::new(false),
        }
    }

    /// Queues a state whose armed set changed (the caller then calls `after_change`).
    pub(super) fn queue_state(&self, state: &StateRef<D>, s: &mut SockState<D>) {
        if !s.queued {
            s.queued = true;
            lock(&self.queue).push_back(Arc::clone(state));
        }
    }

    /// Arms `bits` of `state` again (an operation in those directions returned
    /// `WouldBlock`), as far as they are registered; a change is queued and, as for any
    /// change, `after_change(release, wake)` follows.
    pub(super) fn rearm(
        &self,
        state: &StateRef<D>,
        bits: u32,
        release: impl Fn(Arc<D>),
        wake: impl FnOnce(),
    ) {
        let mut s = lock(state);
        let add = bits & s.registered & !s.armed;
        if add != 0 && !s.deleted {
            s.armed |= add;
            self.queue_state(state, &mut s);
            drop(s);
            self.after_change(release, wake);
        }
    }

    /// When a thread is waiting in `select`, submits at once so that the change is seen by
    /// that wait, and calls `wake` if a submission failed: the waiting thread reports it.
    pub(super) fn after_change(&self, release: impl Fn(Arc<D>), wake: impl FnOnce()) {
        if self.polling.load(Ordering::SeqCst) && self.update_queued(release) {
            wake();
        }
    }

    /// Submits every queued state. Returns whether any submission failed (those states stay
    /// queued with their error).
    ///
    /// Lock order: `spare`, then `failed`, then a state, then `queue` (a state's lock may be
    /// held while taking the queue's, in `queue_state`, never the other way round), then the
    /// selector's helper list (in `release`). So the queue is emptied first and the states
    /// are locked after.
    pub(super) fn update_queued(&self, release: impl Fn(Arc<D>)) -> bool {
        // Swap the queue's two buffers. Both keep their capacity, so once each has grown to
        // the largest number of states queued between two updates, no update, and no
        // `queue_state`, allocates.
        let mut batch = lock(&self.spare);
        mem::swap(&mut *batch, &mut *lock(&self.queue));
        #[cfg(all(test, windows))]
        super::selector::hooks::after_swap(self as *const Self as usize);
        let mut failed = lock(&self.failed);
        failed.clear();
        for state in batch.drain(..) {
            let mut s = lock(&state);
            if s.deleted {
                s.queued = false;
                continue;
            }
            match s.update(&state) {
                Ok(()) => {
                    s.queued = false;
                    s.error = None;
                    // The socket may have turned out to be closed.
                    release_if_done(s, &release);
                }
                Err(err) => {
                    // Stays marked as queued: it goes back into the queue below.
                    s.error = Some(err.raw_os_error().unwrap_or(0));
                    drop(s);
                    failed.push(state);
                }
            }
        }
        let any_failed = !failed.is_empty();
        if any_failed {
            lock(&self.queue).extend(failed.iter().cloned());
        }
        any_failed
    }

    /// Reports an error event (made by `event`) for each state whose last submission failed,
    /// as long as `events` has room.
    pub(super) fn report_errors<E>(&self, events: &mut Vec<E>, event: impl Fn(Token) -> E) {
        for state in lock(&self.failed).iter() {
            if events.len() >= events.capacity() {
                return;
            }
            let s = lock(state);
            if let (Some(_), false) = (s.error, s.deleted) {
                events.push(event(s.token));
            }
        }
    }

    /// The packet of `state`'s request was dequeued (and with it the reference the request
    /// held): reads it, and returns the token and event bits to report, if any. A state with
    /// directions still armed is queued again, to keep watching them.
    pub(super) fn completed(
        &self,
        state: StateRef<D>,
        release: impl FnOnce(Arc<D>),
    ) -> Option<(Token, u32)> {
        let mut s = lock(&state);
        let bits = s.complete();
        if s.deleted {
            release_if_done(s, release);
            return None;
        }
        let event = (bits != 0).then_some((s.token, bits));
        // Keep watching what is still armed.
        if s.armed & D::KNOWN_EVENTS != 0 && !s.queued {
            s.queued = true;
            drop(s);
            lock(&self.queue).push_back(state);
        }
        event
    }
}
