//! The internal interface every backend implements, shared by Unix and Windows. A backend
//! names its raw handle type as `RawIo` (a `RawFd` on Unix, a `RawSocket` on Windows), so the
//! portable code never names either.

use std::io;
use std::time::Duration;

use super::RawIo;
use crate::{Interest, Token};

/// What every selector offers. `Selector` is shared by `Poll` and every `Registry` clone.
// `register`, `reregister` and `deregister` serve `unix::SourceFd` and the backends' own
// sources; Windows has neither (its sockets and pipes register through their own state).
#[cfg_attr(windows, allow(dead_code))]
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
    /// Starts watching `fd`.
    fn register(&self, fd: RawIo, token: Token, interests: Interest) -> io::Result<()>;
    /// Replaces token and interests of a watched `fd`.
    fn reregister(&self, fd: RawIo, token: Token, interests: Interest) -> io::Result<()>;
    /// Stops watching `fd`.
    fn deregister(&self, fd: RawIo) -> io::Result<()>;
}

/// What every backend's Waker offers: `ferrio::Waker` is a thin wrapper around it. Each
/// backend keeps its Waker in a `waker.rs` next to its selector. (WASI has no Waker.)
#[cfg_attr(ferrio_no_waker, allow(dead_code))]
pub(crate) trait WakerApi: Sized + Send + Sync {
    /// The selector of the same backend.
    type Selector: SelectorApi;
    /// A Waker whose wake-ups `selector`'s poller reports as readable events carrying `token`.
    fn new(selector: &Self::Selector, token: Token) -> io::Result<Self>;
    /// Makes the poller report the Waker's event; never blocks.
    fn wake(&self) -> io::Result<()>;
}

/// What a registration asks of a source's backend state: the token its events carry and the
/// directions watched.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Watch {
    pub(crate) token: Token,
    pub(crate) interests: Interest,
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
    /// AIO and LIO completions exist on some kqueue systems only; elsewhere never reported.
    fn is_aio(&self) -> bool {
        false
    }
    fn is_lio(&self) -> bool {
        false
    }
    /// The raw OS fields, for `{:#?}` output only.
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

/// The per-source state that the `IoSource` adapter keeps for a backend. Backends that emulate
/// edge triggering (poll(2)) remember the registration here so that an operation that returns
/// `WouldBlock` can re-arm the direction that blocked.
pub(crate) trait IoSourceApi: Sized {
    /// The selector of the same backend.
    type Selector: SelectorApi;
    fn new() -> Self;
    fn register(&mut self, selector: &Self::Selector, fd: RawIo, watch: Watch) -> io::Result<()>;
    fn reregister(&mut self, selector: &Self::Selector, fd: RawIo, watch: Watch) -> io::Result<()>;
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
