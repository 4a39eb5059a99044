//! The internal interface every backend implements, shared by Unix and Windows, and the
//! registration error helpers. A backend names its raw handle type as `RawIo` (a `RawFd`
//! on Unix, a `RawSocket` on Windows), so the portable code never names either.

use std::io;
use std::time::Duration;

use super::RawIo;
use crate::{Interest, Token};

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
    #[cfg_attr(any(windows, not(feature = "os-ext")), allow(dead_code))]
    fn register(&self, fd: RawIo, token: Token, interests: Interest) -> io::Result<()>;
    /// Replaces token and interests of a watched `fd`.
    #[cfg_attr(any(windows, not(feature = "os-ext")), allow(dead_code))]
    fn reregister(&self, fd: RawIo, token: Token, interests: Interest) -> io::Result<()>;
    /// Stops watching `fd`.
    #[cfg_attr(any(windows, not(feature = "os-ext")), allow(dead_code))]
    fn deregister(&self, fd: RawIo) -> io::Result<()>;
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
#[cfg_attr(
    any(
        not(any(feature = "net", feature = "os-ext")),
        all(windows, not(feature = "net"))
    ),
    allow(dead_code)
)]
pub(crate) trait IoSourceApi: Sized {
    /// The selector of the same backend.
    type Selector: SelectorApi;
    fn new() -> Self;
    fn register(
        &mut self,
        selector: &Self::Selector,
        fd: RawIo,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;
    fn reregister(
        &mut self,
        selector: &Self::Selector,
        fd: RawIo,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;
    fn deregister(&mut self, selector: &Self::Selector, fd: RawIo) -> io::Result<()>;
    /// Runs one operation on the source. If it returns `WouldBlock`, the directions in
    /// `blocked` (intersected with the registered interests) are armed again.
    fn do_io<T, F>(&self, fd: RawIo, blocked: Interest, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>;
    /// Takes an error that the backend holds for this registration and that the OS does not
    /// report through the socket (Windows: the last failed AFD poll submission). Backends that
    /// hold none keep this default.
    #[cfg(feature = "net")]
    fn take_error(&self) -> Option<io::Error> {
        None
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
#[cfg_attr(any(ferrio_kqueue, ferrio_windows), allow(dead_code))]
pub(crate) fn already_registered(os: Option<io::Error>) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        RegistrationError {
            message: "source already registered with this Poll",
            os,
        },
    )
}

/// A source of this crate registered with one `Poll`, used through another one's registry.
#[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
pub(crate) fn registered_with_another_poll() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        RegistrationError {
            message: "source already registered with another Poll",
            os: None,
        },
    )
}

#[cfg_attr(all(windows, not(feature = "net")), allow(dead_code))]
pub(crate) fn not_registered(os: Option<io::Error>) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        RegistrationError {
            message: "source not registered with this Poll",
            os,
        },
    )
}
