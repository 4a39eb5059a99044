//! Unix: the selectors, the Waker and pipe primitives, and (with `net`) the socket layer.
//!
//! Every selector implements [`SelectorApi`], [`EventApi`] and [`IoSourceApi`], so the compiler
//! checks that each backend offers exactly the interface the portable code calls. The poll(2)
//! backend is compiled on every Unix build, selected or not, so it never rots.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::{Interest, Token};

#[cfg(ferrio_epoll)]
mod epoll;
// Also compiled in the unit tests of every Unix build, for the part that needs no kernel.
#[cfg(any(ferrio_kqueue, test))]
mod kqueue;
#[cfg_attr(not(ferrio_poll), allow(dead_code))]
mod poll;

// The kqueue Waker is a user filter: there, only the poll(2) backend uses a notifier.
#[cfg_attr(ferrio_kqueue, allow(dead_code))]
mod notify;
#[cfg_attr(not(feature = "os-ext"), allow(dead_code))]
pub(crate) mod pipe;
#[cfg(feature = "net")]
pub(crate) mod socket;

#[cfg(ferrio_epoll)]
use self::epoll as backend;
#[cfg(ferrio_kqueue)]
use self::kqueue as backend;
#[cfg(ferrio_poll)]
use self::poll as backend;

#[cfg(any(feature = "net", feature = "os-ext"))]
pub(crate) use self::backend::IoSourceState;
pub(crate) use self::backend::{Event, Selector, Waker};

/// The events buffer every backend fills: a vector whose capacity is the caller's limit.
pub(crate) type Events = Vec<Event>;

/// What every selector offers. `Selector` is shared by `Poll` and every `Registry` clone.
pub(crate) trait SelectorApi: Sized + Send + Sync {
    /// The backend's raw event.
    type Event: EventApi;
    /// Opens a new poller.
    fn new() -> io::Result<Self>;
    /// Another handle on the same poller (registrations through it are seen by `select`).
    fn try_clone(&self) -> io::Result<Self>;
    /// Waits for events. `events` is cleared first and receives at most `events.capacity()`
    /// entries, which is never zero (checked by the caller).
    fn select(&self, events: &mut Vec<Self::Event>, timeout: Option<Duration>) -> io::Result<()>;
    /// Starts watching `fd`. (Without `os-ext` (`SourceFd`) only a backend's own code may
    /// call these three, and the poll(2) backend's Waker and IoSourceState do not.)
    #[cfg_attr(not(feature = "os-ext"), allow(dead_code))]
    fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()>;
    /// Replaces token and interests of a watched `fd`.
    #[cfg_attr(not(feature = "os-ext"), allow(dead_code))]
    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()>;
    /// Stops watching `fd`.
    #[cfg_attr(not(feature = "os-ext"), allow(dead_code))]
    fn deregister(&self, fd: RawFd) -> io::Result<()>;
}

/// How the public `Event` reads a backend's raw event.
pub(crate) trait EventApi {
    fn token(&self) -> Token;
    fn is_readable(&self) -> bool;
    fn is_writable(&self) -> bool;
    fn is_error(&self) -> bool;
    fn is_read_closed(&self) -> bool;
    fn is_write_closed(&self) -> bool;
    fn is_priority(&self) -> bool;
    fn is_aio(&self) -> bool;
    fn is_lio(&self) -> bool;
    /// The raw OS fields, for `{:#?}` output only.
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

/// The per-source state that the `IoSource` adapter keeps for a backend. Backends that emulate
/// edge triggering (poll(2)) remember the registration here so that an operation that returns
/// `WouldBlock` can re-arm the direction that blocked.
#[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
pub(crate) trait IoSourceApi: Sized {
    /// The selector of the same backend.
    type Selector: SelectorApi;
    fn new() -> Self;
    fn register(
        &mut self,
        selector: &Self::Selector,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;
    fn reregister(
        &mut self,
        selector: &Self::Selector,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;
    fn deregister(&mut self, selector: &Self::Selector, fd: RawFd) -> io::Result<()>;
    /// Runs one operation on the source. If it returns `WouldBlock`, the directions in
    /// `blocked` (intersected with the registered interests) are armed again.
    fn do_io<T, F>(&self, fd: RawFd, blocked: Interest, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>;
}

/// Converts a `-1`-on-error return value into an `io::Result`, keeping the OS error.
pub(crate) fn cvt<T: IsMinusOne>(ret: T) -> io::Result<T> {
    if ret.is_minus_one() {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

pub(crate) trait IsMinusOne {
    fn is_minus_one(&self) -> bool;
}

macro_rules! impl_is_minus_one {
    ($($t:ty)*) => { $( impl IsMinusOne for $t { fn is_minus_one(&self) -> bool { *self == -1 } } )* };
}
impl_is_minus_one!(i32 i64 isize);

/// Converts a timeout to whole milliseconds for epoll_wait/poll: rounded up so that a
/// sub-millisecond wait never becomes a busy poll, `Duration::ZERO` stays 0, `None` is -1
/// (forever), and anything above `max_ms` is clamped to it (never overflowing into "forever").
// kqueue takes a timespec instead.
#[cfg_attr(ferrio_kqueue, allow(dead_code))]
pub(crate) fn timeout_ms(timeout: Option<Duration>, max_ms: libc::c_int) -> libc::c_int {
    match timeout {
        None => -1,
        Some(t) => {
            let ms = t
                .as_secs()
                .saturating_mul(1_000)
                .saturating_add(u64::from((t.subsec_nanos() + 999_999) / 1_000_000));
            ms.min(max_ms as u64) as libc::c_int
        }
    }
}

/// An error about how a source was registered, naming the mistake. The OS error, if any,
/// stays reachable through `source()`.
#[derive(Debug)]
pub(crate) struct RegistrationError {
    message: &'static str,
    os: Option<io::Error>,
}

impl std::fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)?;
        if let Some(os) = &self.os {
            write!(f, " ({os})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistrationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.os.as_ref().map(|e| e as _)
    }
}

// kqueue cannot detect a double registration.
#[cfg_attr(ferrio_kqueue, allow(dead_code))]
pub(crate) fn already_registered(os: Option<io::Error>) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        RegistrationError {
            message: "source already registered with this Poll",
            os,
        },
    )
}

pub(crate) fn not_registered(os: Option<io::Error>) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        RegistrationError {
            message: "source not registered with this Poll",
            os,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::timeout_ms;
    use std::time::Duration;

    #[test]
    fn timeouts_round_up_and_clamp() {
        assert_eq!(timeout_ms(None, i32::MAX), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO), i32::MAX), 0);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1)), i32::MAX), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(999)), i32::MAX), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1)), i32::MAX), 1);
        assert_eq!(
            timeout_ms(Some(Duration::from_nanos(1_000_001)), i32::MAX),
            2
        );
        assert_eq!(timeout_ms(Some(Duration::from_secs(3)), i32::MAX), 3000);
        assert_eq!(timeout_ms(Some(Duration::MAX), i32::MAX), i32::MAX);
        assert_eq!(
            timeout_ms(Some(Duration::from_secs(30 * 86_400)), i32::MAX),
            i32::MAX
        );
        assert_eq!(
            timeout_ms(Some(Duration::from_secs(3_000)), 1_789_569),
            1_789_569
        );
    }
}
