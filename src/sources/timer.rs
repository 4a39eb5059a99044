use std::io;
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use crate::io_source::impl_source;
#[cfg(not(windows))]
use crate::io_source::IoSource;
use crate::sys;
// Windows: the sources are not sockets, and register through a wrapper of their own.
#[cfg(windows)]
use crate::sys::sources::PortSource as IoSource;

/// A timer on the monotonic clock that reports a readable event when it expires, once
/// ([`set_oneshot`](Timer::set_oneshot)) or periodically
/// ([`set_periodic`](Timer::set_periodic)).
///
/// Requires the `os-sources` cargo feature; see [the module](crate::sources) for the systems.
///
/// A new timer is disarmed. Register it for [`Interest::READABLE`](crate::Interest::READABLE);
/// on each readable event, [`expirations`](Timer::expirations) says how many times it expired
/// since the last call. A periodic timer whose events are not read in time does not queue
/// them up: the next read counts all the missed periods at once.
///
/// * **Resolution:** nanoseconds (`timerfd` on Linux, Android, illumos and Fuchsia;
///   `EVFILT_TIMER` with `NOTE_NSECONDS` on Apple's systems, FreeBSD and NetBSD), milliseconds
///   rounded up on OpenBSD and DragonFly; on Windows, a waitable timer (high-resolution on
///   Windows 10 1803 and later, about the system's timer tick before) that only wakes the
///   source, while the expirations are counted from the monotonic clock (`Instant`), so even a
///   sub-millisecond period is counted exactly. The clock is the monotonic one: changing the
///   wall clock moves nothing.
/// * **Other Unix systems** (Solaris, Haiku, QNX, GNU/Hurd, Cygwin, Redox, AIX, ...), which
///   have neither `timerfd` nor kqueue: the timer is a notifier (an eventfd or a pipe) that
///   one clock thread, started by the first timer of the process and kept for its life, makes
///   readable when the timer expires. It sleeps on a condition variable to the earliest
///   deadline of all timers (so with the resolution of that wait) and looks over every timer
///   at each wake-up; the semantics below are the same. A child made by `fork` without `exec`
///   starts its own clock thread with the first timer it makes or sets. But a fork made while
///   another thread holds the timers' lock (inside a timer call, or the clock thread for a
///   moment at each expiry) leaves that lock held for good in the child, whose timer calls
///   then block: there, fork without `exec` only while no other thread uses a timer and none
///   is armed. (A fork followed by `exec`, as `std::process::Command` does, is not affected.)
/// * **Re-arming:** setting an armed timer replaces its setting, counted from the call, and
///   drops the expirations not yet read. [`cancel`](Timer::cancel) disarms it and drops them
///   too. An event already on its way to a `poll` may still be reported after either; the
///   `expirations` it leads to then returns `WouldBlock`.
/// * **Dropping** an armed timer (registered or not) disarms it and closes its descriptor
///   (on Windows: its handle, once its callback can no longer run); the poller then forgets
///   it, and no event for it follows.
/// * **Registration** is independent of arming: a timer may be set before or after it is
///   registered, and keeps counting while deregistered.
///
/// Arming, cancelling and reading are one or two system calls each (with the clock thread:
/// a lock and a read of the notifier, and `getpid` when arming) and allocate nothing, nor does
/// an expiry.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::sources::Timer;
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut timer = Timer::new()?;
/// poll.registry().register(&mut timer, Token(7), Interest::READABLE)?;
/// timer.set_oneshot(Duration::from_millis(2))?;
///
/// let mut events = Events::with_capacity(8);
/// loop {
///     poll.poll(&mut events, None)?;
///     if events.iter().any(|e| e.token() == Token(7)) {
///         match timer.expirations() {
///             Ok(n) => { assert_eq!(n, 1); break; }
///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "os-sources")))]
#[derive(Debug)]
pub struct Timer {
    inner: IoSource<sys::sources::Timer>,
}

impl Timer {
    /// A new, disarmed timer (one `timerfd_create`, one `kqueue`, or one notifier, the first
    /// timer of a process without either also starting the clock thread; on Windows a
    /// waitable timer and a registered wait).
    ///
    /// # Errors
    ///
    /// The OS error of the call, such as `EMFILE` when the process has no descriptor left
    /// (or of the clock thread's creation).
    pub fn new() -> io::Result<Timer> {
        Ok(Timer {
            inner: IoSource::new(sys::sources::Timer::new()?),
        })
    }

    /// Arms the timer to expire once, `delay` from now. A zero `delay` expires at once (the
    /// smallest step of the clock).
    ///
    /// # Errors
    ///
    /// The OS error of the call.
    pub fn set_oneshot(&self, delay: Duration) -> io::Result<()> {
        let delay = delay.max(Duration::from_nanos(1));
        self.rearm_after(|timer| timer.set(delay, false))
    }

    /// Arms the timer to expire every `period`, the first time `period` from now.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for a zero `period` (which would expire
    /// without end); otherwise the OS error of the call.
    pub fn set_periodic(&self, period: Duration) -> io::Result<()> {
        if period.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Timer::set_periodic: the period is zero",
            ));
        }
        self.rearm_after(|timer| timer.set(period, true))
    }

    /// Disarms the timer and drops the expirations not yet read. Cancelling a disarmed
    /// timer does nothing.
    ///
    /// # Errors
    ///
    /// The OS error of the call.
    pub fn cancel(&self) -> io::Result<()> {
        self.rearm_after(|timer| timer.cancel())
    }

    /// How many times the timer expired since the last call (at least 1), which also
    /// resets the count.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) when it has not expired since (a spurious
    /// or stale event); otherwise the OS error of the call.
    pub fn expirations(&self) -> io::Result<u64> {
        // The read takes every expiration at once, so the timer is drained after it: the
        // poll(2) backend is re-armed here (first, so that an expiry after the read is
        // reported), and the caller need not read again until `WouldBlock`.
        self.rearm()?;
        self.inner.read_op(|timer| timer.read())
    }

    /// Runs `op` (a new setting), then re-arms the registration for readability (the
    /// poll(2) backend disarms a source after each event until it reports `WouldBlock`; the
    /// other backends need nothing).
    fn rearm_after(
        &self,
        op: impl FnOnce(&sys::sources::Timer) -> io::Result<()>,
    ) -> io::Result<()> {
        self.inner.any_op(op)?;
        self.rearm()
    }

    /// Re-arms the registration for readability (see [`rearm_after`](Timer::rearm_after)).
    fn rearm(&self) -> io::Result<()> {
        match self
            .inner
            .read_op(|_| Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock)))
        {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            other => other,
        }
    }
}

impl_source!(Timer => inner);

#[cfg(unix)]
impl AsRawFd for Timer {
    /// The timer's descriptor: a `timerfd`, a kqueue holding the timer, or the notifier the
    /// clock thread makes readable.
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_fd().as_raw_fd()
    }
}

#[cfg(unix)]
impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
