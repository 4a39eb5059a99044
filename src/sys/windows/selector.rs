//! The Windows selector: one I/O completion port, and one AFD poll request in flight per
//! registered socket that has an armed interest.
//!
//! Each registration is a [`SockState`] behind an `Arc<Mutex<..>>`. While a request is in the
//! kernel, one strong reference travels as the request's context pointer and comes back in the
//! completion packet, so the request's buffers (boxed inside the state) outlive it.
//!
//! Edge triggering: an event removes the bits it reported from the armed set (`armed`); the
//! `IoSource` adapter arms a direction again when an operation in that direction returns
//! `WouldBlock` (and only that direction). A state whose armed set changed is queued and its
//! request (re)submitted by the next `select`, or at once when a thread is blocked in `select`,
//! so a registration made during a blocking poll takes effect in that poll.
//!
//! Errors: a submission that fails leaves the state queued with the error; every `select`
//! retries it and, while it keeps failing, reports an error event for that token. `select`
//! itself fails only when the completion port does.
//!
//! Deregistration marks the state deleted under its lock and cancels its request; packets of
//! deleted states are dropped unread, so no poll that starts after `deregister` returned
//! reports the token.
//!
//! Allocation: registering a socket allocates its state (and, for the first socket of each
//! group of `AFD_GROUP_SIZE`, opens an AFD helper handle). After that, reregistering, the
//! re-arming after `WouldBlock`, deregistering and `select` allocate nothing, once the update
//! queue's two buffers have grown to the largest number of sockets queued between two
//! updates; this holds with any number of threads, because updates run one at a time under
//! the spare buffer's lock and only ever swap the two buffers. The exceptions are error paths
//! (a failed submission records its state in a list) and named pipes, whose operations
//! allocate (see `named_pipe.rs`).

use std::io;
use std::mem;
use std::os::windows::io::RawSocket;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_ENTRY};

use super::afd::{self, Afd};
use super::iocp::{wake_sentinel, CompletionPort, KEY_AFD, KEY_PIPE, KEY_SOURCE};
use super::sock_state::{lock, Queue, SockState};
use super::{timeout_ms, Event, EventFlags};
use crate::sys::{already_registered, not_registered, IoSourceApi, SelectorApi, Watch};
use crate::{Interest, Token};

/// How many sockets share one AFD helper handle.
const AFD_GROUP_SIZE: usize = 32;
/// Completion packets dequeued per system call at most.
const BATCH: usize = 256;

/// The AFD event bits that `interests` ask for.
fn afd_flags(interests: Interest) -> u32 {
    let mut flags = 0;
    if interests.is_readable() {
        flags |= afd::READABLE_FLAGS;
    }
    if interests.is_writable() {
        flags |= afd::WRITABLE_FLAGS;
    }
    flags
}

/// A registration's state, shared with the requests in flight.
type StateRef = super::sock_state::StateRef<Afd>;

/// The selector's shared state; the sources of `sources/` hold it while registered (as the
/// socket registrations do), so it outlives every packet they post.
pub(super) struct Inner {
    port: Arc<CompletionPort>,
    /// States whose request must be (re)submitted, or whose last submission failed; and
    /// whether a thread waits in `select`.
    queue: Queue<Afd>,
    afds: Mutex<Vec<Arc<Afd>>>,
    /// How many `Selector` handles (the `Poll` and its `Registry` clones) are alive. At zero
    /// the poller is gone for the user, although registrations keep this state alive.
    handles: AtomicUsize,
}

/// The name the sources of `sources/` know the selector's state by.
#[cfg_attr(not(feature = "os-sources"), allow(dead_code))]
pub(super) type SelectorShared = Inner;

impl Inner {
    /// Queues a packet on the port (for a source of `sources/`).
    #[cfg_attr(not(feature = "os-sources"), allow(dead_code))]
    pub(super) fn post(&self, key: usize, overlapped: *mut OVERLAPPED) -> io::Result<()> {
        self.port.post(key, overlapped)
    }

    /// An AFD helper handle with room for one more socket.
    fn afd(&self) -> io::Result<Arc<Afd>> {
        let mut afds = lock(&self.afds);
        trim(&mut afds);
        // Fill the helpers in use first; the spare one is taken last.
        let in_use = afds
            .iter()
            .find(|a| (2..=AFD_GROUP_SIZE).contains(&Arc::strong_count(a)));
        if let Some(afd) = in_use.or_else(|| afds.iter().find(|a| Arc::strong_count(a) == 1)) {
            return Ok(Arc::clone(afd));
        }
        let afd = Arc::new(Afd::new(&self.port)?);
        afds.push(Arc::clone(&afd));
        Ok(afd)
    }

    /// Drops a state's reference on its helper handle, closing helpers that no socket uses
    /// (but one, kept for the next registration).
    fn release_afd(&self, afd: Arc<Afd>) {
        // Only the selector's list and `afd` hold it: after the drop it is unused.
        let unused = Arc::strong_count(&afd) <= 2;
        drop(afd);
        if unused {
            trim(&mut lock(&self.afds));
        }
    }

    /// Queues a state whose armed set changed and, when a thread is waiting in `select`,
    /// submits at once so that the change is seen by that wait.
    fn queue_state(&self, state: &StateRef, s: &mut SockState<Afd>) {
        self.queue.queue_state(state, s);
    }

    fn after_change(&self) {
        self.queue
            .after_change(|afd| self.release_afd(afd), || self.wake_poller());
    }

    /// Wakes the thread waiting in `select`: a failed submission must reach it, and it reports
    /// it.
    fn wake_poller(&self) {
        let _ = self.port.post(0, wake_sentinel());
    }

    /// Submits every queued state. Returns whether any submission failed.
    fn update_queued(&self) -> bool {
        self.queue.update_queued(|afd| self.release_afd(afd))
    }

    /// Reports an error event for each state whose last submission failed.
    fn report_errors(&self, events: &mut Vec<Event>) {
        self.queue
            .report_errors(events, |token| Event::new(token, EventFlags::SUBMIT_FAILED));
    }

    /// Turns dequeued packets into events.
    fn feed(&self, entries: &[OVERLAPPED_ENTRY], events: &mut Vec<Event>) {
        for entry in entries {
            let overlapped = entry.lpOverlapped;
            if overlapped.is_null() {
                // A Waker: the key is its token, all bits of it.
                events.push(Event::new(Token(entry.lpCompletionKey), afd::POLL_RECEIVE));
            } else if overlapped == wake_sentinel() {
                // An internal wake-up.
            } else if entry.lpCompletionKey == KEY_PIPE {
                #[cfg(feature = "os-ext")]
                super::named_pipe::complete(entry, events);
            } else if entry.lpCompletionKey == KEY_SOURCE {
                #[cfg(feature = "os-sources")]
                super::sources::complete(self, entry, events);
            } else if entry.lpCompletionKey != KEY_AFD {
                // A packet of no registration of ours.
            } else {
                // SAFETY: packets with key KEY_AFD carry the context of `SockState::update`:
                // a strong reference made by `Arc::into_raw`, returned to us exactly once.
                let state = unsafe { Arc::from_raw(overlapped as *const Mutex<SockState<Afd>>) };
                let done = self.queue.completed(state, |afd| self.release_afd(afd));
                if let Some((token, bits)) = done {
                    events.push(Event::new(token, bits));
                }
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Every registration is gone (each holds this `Inner`), so every request still in the
        // kernel was cancelled when its source was deregistered or dropped. Dequeue their
        // packets to free the states they keep alive, waiting a little for late ones.
        let in_flight = |afds: &[Arc<Afd>]| {
            afds.iter()
                .map(|a| a.in_flight.load(Ordering::Relaxed))
                .sum::<usize>()
        };
        let afds = mem::take(&mut *lock(&self.afds));
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut entries = [OVERLAPPED_ENTRY::default(); 64];
        loop {
            let wait = if in_flight(&afds) > 0 && Instant::now() < deadline {
                50
            } else {
                0
            };
            let done = match self.port.get_many(&mut entries, wait) {
                Ok(done) if !done.is_empty() => done,
                _ if wait > 0 => continue,
                _ => break,
            };
            for entry in done {
                let overlapped = entry.lpOverlapped;
                if !overlapped.is_null()
                    && overlapped != wake_sentinel()
                    && entry.lpCompletionKey == KEY_AFD
                {
                    // SAFETY: packets with key KEY_AFD carry the context of
                    // `SockState::update`: a strong reference made by `Arc::into_raw`, which
                    // the dequeued packet returns to us exactly once.
                    let state =
                        unsafe { Arc::from_raw(overlapped as *const Mutex<SockState<Afd>>) };
                    lock(&state).complete();
                } else if !overlapped.is_null()
                    && overlapped != wake_sentinel()
                    && entry.lpCompletionKey == KEY_PIPE
                {
                    #[cfg(feature = "os-ext")]
                    super::named_pipe::release(entry);
                } else if !overlapped.is_null()
                    && overlapped != wake_sentinel()
                    && entry.lpCompletionKey == KEY_SOURCE
                {
                    #[cfg(feature = "os-sources")]
                    super::sources::release(entry);
                }
            }
        }
    }
}

/// Closes the helper handles no socket uses, except one kept for the next registration, so
/// that the handle count follows the number of registered sockets (one helper per
/// `AFD_GROUP_SIZE` of them) instead of the number of registrations ever made.
fn trim(afds: &mut Vec<Arc<Afd>>) {
    let mut spare_kept = false;
    afds.retain(|a| {
        if Arc::strong_count(a) > 1 {
            true
        } else {
            !mem::replace(&mut spare_kept, true)
        }
    });
}

/// The selector: a completion port shared by `Poll`, its `Registry` clones and the states.
pub(crate) struct Selector {
    inner: Arc<Inner>,
}

impl Drop for Selector {
    fn drop(&mut self) {
        self.inner.handles.fetch_sub(1, Ordering::SeqCst);
    }
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selector")
            .field("port", &self.inner.port)
            .finish()
    }
}

impl Selector {
    /// The port, for a Waker or a named pipe (which keep it open as long as they live).
    pub(super) fn shared_port(&self) -> Arc<CompletionPort> {
        Arc::clone(&self.inner.port)
    }

    /// The selector's state, for a source of `sources/` while it is registered.
    #[cfg_attr(not(feature = "os-sources"), allow(dead_code))]
    pub(super) fn shared(&self) -> Arc<Inner> {
        Arc::clone(&self.inner)
    }
}

impl SelectorApi for Selector {
    type Event = Event;

    fn new() -> io::Result<Selector> {
        Ok(Selector {
            inner: Arc::new(Inner {
                port: Arc::new(CompletionPort::new()?),
                queue: Queue::new(),
                afds: Mutex::new(Vec::new()),
                handles: AtomicUsize::new(1),
            }),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        self.inner.handles.fetch_add(1, Ordering::SeqCst);
        Ok(Selector {
            inner: Arc::clone(&self.inner),
        })
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let inner = &*self.inner;
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut entries = [OVERLAPPED_ENTRY::default(); BATCH];
        loop {
            inner.queue.polling.store(true, Ordering::SeqCst);
            inner.update_queued();
            inner.report_errors(events);
            let room = (events.capacity() - events.len()).min(BATCH);
            if room == 0 {
                inner.queue.polling.store(false, Ordering::SeqCst);
                return Ok(());
            }
            let wait = if !events.is_empty() {
                0
            } else {
                match (timeout, deadline) {
                    (None, _) => timeout_ms(None),
                    (Some(_), None) => timeout_ms(Some(Duration::MAX)),
                    (Some(_), Some(d)) => {
                        timeout_ms(Some(d.saturating_duration_since(Instant::now())))
                    }
                }
            };
            let result = inner.port.get_many(&mut entries[..room], wait);
            inner.queue.polling.store(false, Ordering::SeqCst);
            let done = result?;
            inner.feed(done, events);
            if !events.is_empty() || done.is_empty() || wait == 0 {
                return Ok(());
            }
            // Only cancelled or empty completions: wait again for the rest of the timeout.
            if let Some(d) = deadline {
                if Instant::now() >= d {
                    return Ok(());
                }
            }
        }
    }

    fn register(&self, _: RawSocket, _: Token, _: Interest) -> io::Result<()> {
        Err(unsupported())
    }

    fn reregister(&self, _: RawSocket, _: Token, _: Interest) -> io::Result<()> {
        Err(unsupported())
    }

    fn deregister(&self, _: RawSocket) -> io::Result<()> {
        Err(unsupported())
    }
}

/// Raw sockets are registered through `IoSource` only on Windows (there is no `SourceFd`).
fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "raw sockets are registered through the ferrio socket types on Windows",
    )
}

struct Registered {
    selector: Arc<Inner>,
    state: StateRef,
}

impl Registered {
    /// Ends the registration (deregister, drop).
    fn release(self) {
        let afd = lock(&self.state).mark_deleted();
        if let Some(afd) = afd {
            self.selector.release_afd(afd);
        }
    }
}

/// The registration of one socket, kept by the `IoSource` adapter.
pub(crate) struct IoSourceState {
    inner: Option<Registered>,
}

impl IoSourceState {
    /// The registration, if it was made with `selector`'s poller. (A socket registered with
    /// another live poller never gets here: `IoSource` refuses that call first, with
    /// `AlreadyExists`, on every backend.)
    fn registered_with(&self, selector: &Selector) -> io::Result<&Registered> {
        match &self.inner {
            Some(r) if Arc::ptr_eq(&r.selector, &selector.inner) => Ok(r),
            _ => Err(not_registered(None)),
        }
    }
}

impl IoSourceApi for IoSourceState {
    type Selector = Selector;

    fn new() -> IoSourceState {
        IoSourceState { inner: None }
    }

    fn register(&mut self, selector: &Selector, socket: RawSocket, watch: Watch) -> io::Result<()> {
        let Watch { token, interests } = watch;
        if let Some(reg) = &self.inner {
            // A registration with a poller whose `Poll` and registries are all gone has ended
            // with it (as on the other backends); any other one is still in force.
            if reg.selector.handles.load(Ordering::SeqCst) != 0 {
                return Err(already_registered(None));
            }
            if let Some(old) = self.inner.take() {
                if let Some(afd) = lock(&old.state).mark_deleted() {
                    old.selector.release_afd(afd);
                }
            }
        }
        let base = afd::base_socket(socket)?;
        let afd = selector.inner.afd()?;
        let flags = afd_flags(interests);
        // RawSocket is a u32 on 32-bit Windows, the state keeps a u64 (its own width on Linux).
        #[allow(clippy::useless_conversion)]
        let base = u64::from(base);
        let state = Arc::new(Mutex::new(SockState::new(afd, base, token, flags)));
        {
            let mut s = lock(&state);
            selector.inner.queue_state(&state, &mut s);
        }
        selector.inner.after_change();
        self.inner = Some(Registered {
            selector: Arc::clone(&selector.inner),
            state,
        });
        Ok(())
    }

    fn reregister(&mut self, selector: &Selector, _: RawSocket, watch: Watch) -> io::Result<()> {
        let Watch { token, interests } = watch;
        let reg = self.registered_with(selector)?;
        {
            let mut s = lock(&reg.state);
            let flags = afd_flags(interests);
            s.token = token;
            s.registered = flags;
            s.armed = flags;
            reg.selector.queue_state(&reg.state, &mut s);
        }
        reg.selector.after_change();
        Ok(())
    }

    fn deregister(&mut self, selector: &Selector, _socket: RawSocket) -> io::Result<()> {
        self.registered_with(selector)?;
        if let Some(reg) = self.inner.take() {
            reg.release();
        }
        Ok(())
    }

    fn do_io<T, F>(&self, _socket: RawSocket, blocked: Interest, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        let result = f();
        if let (Err(err), Some(reg)) = (&result, &self.inner) {
            if err.kind() == io::ErrorKind::WouldBlock {
                let inner = &*reg.selector;
                inner.queue.rearm(
                    &reg.state,
                    afd_flags(blocked),
                    |afd| inner.release_afd(afd),
                    || inner.wake_poller(),
                );
            }
        }
        result
    }

    #[cfg(feature = "net")]
    fn take_error(&self) -> Option<io::Error> {
        let reg = self.inner.as_ref()?;
        // Taking it only pauses the error events: the state stays queued, the next `select`
        // submits again, and a new failure records and reports its error again.
        let code = lock(&reg.state).error.take()?;
        Some(if code == 0 {
            io::Error::new(
                io::ErrorKind::Other,
                "the AFD poll request for this socket could not be submitted",
            )
        } else {
            io::Error::from_raw_os_error(code)
        })
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        if let Some(reg) = self.inner.take() {
            reg.release();
        }
    }
}

/// Test hooks: a pause inside an update, to line up a race with another thread's update.
#[cfg(test)]
pub(super) mod hooks {
    use std::sync::mpsc::{Receiver, Sender};
    use std::sync::Mutex;
    use std::time::Duration;

    /// The selector whose next update pauses, the channel that says it has paused (after
    /// swapping the queue), and the one it waits on (at most 10 s) before going on.
    type Pause = (usize, Sender<()>, Receiver<()>);
    static PAUSE: Mutex<Option<Pause>> = Mutex::new(None);

    /// Makes the next update of `selector`'s queue pause after its swap.
    pub(crate) fn pause_next_update(selector: &super::Selector) -> (Receiver<()>, Sender<()>) {
        let (paused_tx, paused_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel();
        let key = &selector.inner.queue as *const super::Queue<super::Afd> as usize;
        *super::lock(&PAUSE) = Some((key, paused_tx, go_rx));
        (paused_rx, go_tx)
    }

    /// Called by the update of the queue at address `key`, after its swap.
    pub(crate) fn after_swap(key: usize) {
        let mut armed = super::lock(&PAUSE);
        if !matches!(&*armed, Some((k, ..)) if *k == key) {
            return;
        }
        let Some((_, paused, go)) = armed.take() else {
            return;
        };
        drop(armed);
        let _ = paused.send(());
        let _ = go.recv_timeout(Duration::from_secs(10));
    }
}
