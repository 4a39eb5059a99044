use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::event::{Events, Source};
use crate::sys::{self, SelectorApi};
use crate::{Interest, Token};

/// The event loop's poller: it waits until registered sources are ready and reports which.
///
/// Sources are registered through the [`Registry`] that [`Poll::registry`] returns;
/// [`Poll::poll`] then fills an [`Events`] buffer with what became ready.
///
/// Readiness is **edge-triggered** on every backend: after an event for a source, keep doing
/// the operation (read, write, accept) until it returns [`io::ErrorKind::WouldBlock`]; only
/// then is another event promised. Events may also arrive when nothing is ready (spurious
/// events), so every handler must cope with `WouldBlock`. The [guide](crate::guide) explains
/// these rules with examples.
///
/// `Poll` is `Send + Sync`, but [`poll`](Poll::poll) takes `&mut self`: one thread at a time
/// waits on it. Other threads use a [`Registry`] (from [`Registry::try_clone`]) and
/// [`Waker`](crate::Waker)s.
///
/// A `Poll` can be opened only with the `os-poll` cargo feature (see [`Poll::new`]).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::{Events, Poll, Token, Waker};
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(16);
/// let waker = Waker::new(poll.registry(), Token(10))?;
/// waker.wake()?;
/// poll.poll(&mut events, Some(Duration::from_secs(1)))?;
/// assert!(events.iter().any(|e| e.token() == Token(10) && e.is_readable()));
/// # Ok(())
/// # }
/// ```
pub struct Poll {
    registry: Registry,
}

/// Registers sources with a [`Poll`].
///
/// Obtained from [`Poll::registry`]; [`Registry::try_clone`] gives an owned handle that other
/// threads can use while a thread is blocked in [`Poll::poll`]. A registration made during a
/// blocking `poll` takes effect in that same call.
///
/// A source belongs to one `Poll` at a time: deregister it before registering it elsewhere.
/// See [Deregistering and dropping](crate::guide#deregistering-and-dropping) in the guide for
/// what happens to events that are already on their way.
pub struct Registry {
    selector: sys::Selector,
    /// Shared by every `Registry` of one poller. A source of this crate keeps a weak reference
    /// to it while registered (see `IoSource`): the address tells which poller the source is
    /// registered with, the strong count whether that poller still exists.
    poller: Arc<PollerId>,
}

/// The identity of one poller, shared by its registries (see `Registry::poller`).
#[derive(Debug)]
pub(crate) struct PollerId;

impl Poll {
    /// Opens a new poller: an epoll or kqueue instance, the poll(2) backend's table where
    /// that backend is used, or an I/O completion port on Windows. The poller's descriptors
    /// are close-on-exec.
    ///
    /// Requires the `os-poll` cargo feature (on by default, and turned on by `net` and
    /// `os-ext`). Without it this function does not exist: the other types can still be
    /// named, but no poller can be opened.
    #[cfg(feature = "os-poll")]
    #[cfg_attr(docsrs, doc(cfg(feature = "os-poll")))]
    pub fn new() -> io::Result<Poll> {
        sys::Selector::new().map(|selector| Poll {
            registry: Registry {
                selector,
                poller: Arc::new(PollerId),
            },
        })
    }

    /// The registry to register sources with.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits for readiness events and stores them in `events`, which is cleared first.
    ///
    /// Blocks until at least one event is ready or `timeout` elapses; `None` waits with no
    /// limit. A timeout is rounded up to the backend's resolution, so a positive timeout never
    /// turns into a busy poll, `Duration::ZERO` never blocks and a very long one is clamped
    /// rather than overflowing. Returning with no events is possible even before the timeout.
    ///
    /// The resolution is a nanosecond with kqueue, and with epoll on 64-bit Linux from
    /// Linux 5.11 on (`epoll_pwait2`, tried only for a timeout that is not a whole
    /// number of milliseconds; an older kernel's refusal is remembered, so it costs one
    /// failed call per process, and the timeout is rounded up as below). It is a millisecond
    /// with epoll elsewhere, with poll(2) and on Windows. `None` and whole milliseconds cost
    /// the same single system call everywhere.
    ///
    /// At most `events.capacity()` events are returned; more wait for the next call.
    ///
    /// # Errors
    ///
    /// A signal that interrupts the wait returns [`io::ErrorKind::Interrupted`]; call again.
    /// An `events` made with capacity 0 returns [`io::ErrorKind::InvalidInput`] on every
    /// backend.
    pub fn poll(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        if events.capacity() == 0 {
            events.clear();
            return Err(sys::no_room_for_events());
        }
        self.registry.selector.select(events.sys_mut(), timeout)
    }
}

impl Registry {
    /// Starts watching `source` for `interests`; its events will carry `token`.
    ///
    /// A source belongs to one `Poll` at a time; its registration ends with
    /// [`deregister`](Registry::deregister), or when the `Poll` and every [`Registry`] cloned
    /// from it are dropped.
    ///
    /// # Errors
    ///
    /// Registering a source that is already registered returns
    /// [`io::ErrorKind::AlreadyExists`]. What is checked where:
    ///
    /// * **With another `Poll`**: the socket types of `ferrio::net` and the pipes of
    ///   `ferrio::unix::pipe` remember which `Poll` they are registered with, so `register`,
    ///   [`reregister`](Registry::reregister) and [`deregister`](Registry::deregister) through
    ///   another `Poll`'s registry fail with `AlreadyExists` ("already registered with another
    ///   Poll") and leave the registration as it was, on every backend and in every build.
    ///   (The check is a pointer comparison in these three calls, next to the system call
    ///   they make anyway; I/O operations never pay for it.) A `unix::SourceFd` or a source
    ///   type of your own carries no such record: every backend accepts the same descriptor
    ///   in two pollers, and both then report it.
    /// * **With the same `Poll` again** ("already registered with this Poll"): epoll,
    ///   poll(2) and Windows detect it exactly, and the OS error (epoll's `EEXIST`) stays
    ///   reachable as the error's source. kqueue cannot tell without bookkeeping: there a
    ///   second registration succeeds, (re)adding the directions it names with its token and
    ///   leaving the others as they were.
    pub fn register<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        #[cfg(feature = "log")]
        log::trace!("registering source with token {token:?} for {interests:?}");
        source.register(self, token, interests)
    }

    /// Replaces the token and interests of a registered source.
    ///
    /// # Errors
    ///
    /// A source that is not registered returns [`io::ErrorKind::NotFound`] ("not registered"),
    /// except on kqueue, where it cannot be told apart and the source gets registered. A
    /// source of this crate registered with another `Poll` returns
    /// [`io::ErrorKind::AlreadyExists`] (see [`register`](Registry::register)).
    pub fn reregister<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        #[cfg(feature = "log")]
        log::trace!("reregistering source with token {token:?} for {interests:?}");
        source.reregister(self, token, interests)
    }

    /// Stops watching `source`. No [`Poll::poll`] call that begins after this returns reports
    /// the source's token for it.
    ///
    /// # Errors
    ///
    /// A source that is not registered returns [`io::ErrorKind::NotFound`] ("not registered").
    /// A source of this crate registered with another `Poll` returns
    /// [`io::ErrorKind::AlreadyExists`] and stays registered there (see
    /// [`register`](Registry::register)).
    pub fn deregister<S>(&self, source: &mut S) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        #[cfg(feature = "log")]
        log::trace!("deregistering source");
        source.deregister(self)
    }

    /// Another handle on the same poller, for use from another thread. Sources registered
    /// through either handle are reported by the same [`Poll`].
    ///
    /// On epoll and kqueue this duplicates the poller's descriptor (close-on-exec); on the
    /// poll(2) backend it shares the backend's table and cannot fail.
    pub fn try_clone(&self) -> io::Result<Registry> {
        self.selector.try_clone().map(|selector| Registry {
            selector,
            poller: Arc::clone(&self.poller),
        })
    }

    /// The backend selector, for the `Source` implementations of this crate.
    pub(crate) fn selector(&self) -> &sys::Selector {
        &self.selector
    }

    /// This poller's identity, for the `Source` implementations of this crate.
    pub(crate) fn poller(&self) -> &Arc<PollerId> {
        &self.poller
    }
}

impl std::fmt::Debug for Poll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poll").finish()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish()
    }
}

// The poll(2) backend has no descriptor that could stand for the whole poller (and Windows,
// like mio, exposes no handle of the completion port).
#[cfg(any(ferrio_epoll, ferrio_kqueue, ferrio_ports))]
mod fd_impls {
    use super::{Poll, Registry};
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

    /// Gives each impl the label docs.rs shows: the systems whose default backend is epoll,
    /// kqueue or event ports, unless poll(2) is forced.
    macro_rules! epoll_or_kqueue {
        ($($item:item)*) => {$(
            fact_gated! { poller_fd: $item }
        )*};
    }

    epoll_or_kqueue! {
        /// The poller's own fd (the epoll or kqueue instance, or the event port). Only on the
        /// epoll, kqueue and event ports backends: not where poll(2) is used or forced.
        impl AsRawFd for Poll {
            fn as_raw_fd(&self) -> RawFd {
                self.registry.selector.as_raw_fd()
            }
        }

        /// This handle's fd for the poller (the epoll or kqueue instance, or the event port;
        /// each [`try_clone`](Registry::try_clone) has its own duplicate). Only on the epoll,
        /// kqueue and event ports backends.
        impl AsRawFd for Registry {
            fn as_raw_fd(&self) -> RawFd {
                self.selector.as_raw_fd()
            }
        }

        /// This handle's fd for the poller, borrowed. Only on the epoll, kqueue and event ports
        /// backends.
        impl AsFd for Registry {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.selector.as_fd()
            }
        }
    }
}
