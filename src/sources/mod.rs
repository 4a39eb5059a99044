//! Event sources beyond sockets and pipes: [`Timer`], ... (feature `os-sources`).
//!
//! Each is an ordinary [`event::Source`](crate::event::Source): register it with a
//! [`Registry`](crate::Registry) like a socket, and it reports readable events under its token
//! when it has something to tell. Each one owns one file descriptor (a `timerfd` on Linux and
//! Android, a private kqueue on the kqueue systems), so any number of them can share a `Poll`,
//! the `Poll` keeps no state for them, and nothing is allocated per event.
//!
//! Requires the `os-sources` cargo feature (off by default; it turns on `os-poll`). Today the
//! sources exist on Linux, Android and the kqueue systems (macOS, iOS, tvOS, visionOS,
//! watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly), with every backend those systems build
//! (including the forced poll(2) backend).

#[cfg(ferrio_waitid)]
mod child;
mod signals;
mod timer;

#[cfg(ferrio_waitid)]
pub use self::child::ChildExit;
pub use self::signals::{SignalSet, Signals};
pub use self::timer::Timer;
