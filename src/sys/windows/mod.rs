//! Windows: a selector on an I/O completion port with AFD polling per socket (`selector.rs`,
//! `afd.rs`, `iocp.rs`) and a Waker that posts to the port (`waker.rs`), implementing the
//! traits of `sys/api.rs` like the Unix backends.
//!
//! `socket/` is the Winsock layer of `ferrio::net`; `named_pipe.rs` is
//! `ferrio::windows::NamedPipe`; `sources/` has the timers and child-exit watches of
//! `ferrio::sources`.

use std::time::Duration;

use windows_sys::Win32::System::Threading::INFINITE;

use crate::sys::EventApi;
use crate::Token;

mod afd;
mod iocp;
mod selector;
mod sock_state;
mod waker;

#[cfg(feature = "net")]
pub(crate) mod socket;

#[cfg(feature = "os-ext")]
pub(crate) mod named_pipe;

#[cfg(feature = "os-sources")]
pub(crate) mod sources;

// `os-sources` alone builds `io_source` too (for its `Registration` trait), not its sockets.
#[cfg(any(feature = "net", feature = "os-sources"))]
pub(crate) use self::selector::IoSourceState;
pub(crate) use self::selector::Selector;
pub(crate) use self::waker::Waker;

/// The raw handle the selector watches: a socket.
pub(crate) type RawIo = std::os::windows::io::RawSocket;

/// The events buffer the selector fills: a vector whose capacity is the caller's limit.
pub(crate) type Events = Vec<Event>;

/// Internal event bits beyond AFD's.
pub(crate) struct EventFlags;

impl EventFlags {
    /// Submitting the socket's poll request failed (reported as an error that wakes readers
    /// and writers alike; the request is retried by every poll until it succeeds).
    pub(crate) const SUBMIT_FAILED: u32 = 0x1000_0000;
}

/// One readiness event: AFD event bits and the token, stored whole.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    flags: u32,
    token: Token,
}

impl Event {
    pub(crate) fn new(token: Token, flags: u32) -> Event {
        Event { flags, token }
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }
    fn is_readable(&self) -> bool {
        self.flags & (afd::READABLE_FLAGS | EventFlags::SUBMIT_FAILED) != 0
    }
    fn is_writable(&self) -> bool {
        self.flags & (afd::WRITABLE_FLAGS | EventFlags::SUBMIT_FAILED) != 0
    }
    fn is_error(&self) -> bool {
        self.flags & (afd::POLL_CONNECT_FAIL | EventFlags::SUBMIT_FAILED) != 0
    }
    fn is_read_closed(&self) -> bool {
        self.flags & afd::READ_CLOSED_FLAGS != 0
    }
    fn is_write_closed(&self) -> bool {
        self.flags & afd::WRITE_CLOSED_FLAGS != 0
    }
    fn is_priority(&self) -> bool {
        self.flags & afd::POLL_RECEIVE_EXPEDITED != 0
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "afd_flags: {:#x}", self.flags)
    }
}

/// The milliseconds `GetQueuedCompletionStatusEx` waits for: the shared rule
/// (`sys/timeout.rs`), with `None` as `INFINITE` and every finite timeout kept below it.
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> u32 {
    crate::sys::timeout::timeout_ms(timeout, INFINITE - 1)
}

// They poll (`Poll` and `Waker` exist with `os-poll`); the socket tests also need `net`.
#[cfg(all(test, feature = "os-poll"))]
mod tests;
