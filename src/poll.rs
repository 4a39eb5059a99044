use std::io;
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
}

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
            registry: Registry { selector },
        })
    }

    /// The registry to register sources with.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits for readiness events and stores them in `events`, which is cleared first.
    ///
    /// Blocks until at least one event is ready or `timeout` elapses; `None` waits with no
    /// limit. A timeout is rounded up to the backend's resolution (a millisecond for epoll and
    /// poll(2)), so a positive timeout never turns into a busy poll, `Duration::ZERO` never
    /// blocks and a very long one is clamped rather than overflowing. Returning with no events
    /// is possible even before the timeout.
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
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Poll::poll: the Events buffer has capacity 0 and can hold no event",
            ));
        }
        self.registry.selector.select(events.sys_mut(), timeout)
    }
}

impl Registry {
    /// Starts watching `source` for `interests`; its events will carry `token`.
    ///
    /// # Errors
    ///
    /// Registering a source that is already registered with this `Poll` returns
    /// [`io::ErrorKind::AlreadyExists`] ("already registered"). The backends of this crate
    /// detect it exactly (epoll, poll(2)), except kqueue, which cannot tell without
    /// bookkeeping: there a second registration succeeds, (re)adding the directions it names
    /// with its token and leaving the others as they were.
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
    /// except on kqueue, where it cannot be told apart and the source gets registered. On
    /// Windows, a source registered with another `Poll` returns
    /// [`io::ErrorKind::AlreadyExists`] ("registered with another Poll"), as with mio.
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
    /// On Windows, a source registered with another `Poll` returns
    /// [`io::ErrorKind::AlreadyExists`] ("registered with another Poll"), as with mio.
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
        self.selector
            .try_clone()
            .map(|selector| Registry { selector })
    }

    /// The backend selector, for the `Source` implementations of this crate.
    pub(crate) fn selector(&self) -> &sys::Selector {
        &self.selector
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
#[cfg(any(ferrio_epoll, ferrio_kqueue))]
mod fd_impls {
    use super::{Poll, Registry};
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

    /// Gives each impl the label docs.rs shows: the systems whose default backend is epoll or
    /// kqueue, unless poll(2) is forced.
    macro_rules! epoll_or_kqueue {
        ($($item:item)*) => {$(
            #[cfg_attr(
                docsrs,
                doc(cfg(all(
                    any(
                        target_os = "linux",
                        target_os = "android",
                        target_os = "macos",
                        target_os = "ios",
                        target_os = "tvos",
                        target_os = "visionos",
                        target_os = "watchos",
                        target_os = "freebsd",
                        target_os = "netbsd",
                        target_os = "openbsd",
                        target_os = "dragonfly"
                    ),
                    not(ferrio_force_poll),
                    not(mio_unsupported_force_poll_poll)
                )))
            )]
            $item
        )*};
    }

    epoll_or_kqueue! {
        /// The poller's own fd (the epoll or kqueue instance). Only on the epoll and kqueue
        /// backends: not where poll(2) is used or forced.
        impl AsRawFd for Poll {
            fn as_raw_fd(&self) -> RawFd {
                self.registry.selector.as_raw_fd()
            }
        }

        /// This handle's fd for the poller (the epoll or kqueue instance; each
        /// [`try_clone`](Registry::try_clone) has its own duplicate). Only on the epoll and
        /// kqueue backends.
        impl AsRawFd for Registry {
            fn as_raw_fd(&self) -> RawFd {
                self.selector.as_raw_fd()
            }
        }

        /// This handle's fd for the poller, borrowed. Only on the epoll and kqueue backends.
        impl AsFd for Registry {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.selector.as_fd()
            }
        }
    }
}
