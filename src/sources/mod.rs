//! Event sources beyond sockets and pipes (feature `os-sources`): a [`Timer`], a watch on Unix
//! [`Signals`], and a watch on a child process's exit ([`ChildExit`]). mio has none of them.
//!
//! Each is an ordinary [`event::Source`](crate::event::Source): register it with a
//! [`Registry`](crate::Registry) like a socket, and it reports readable events under its token
//! when it has something to tell; a method then says what (`expirations`, `received`,
//! `exited`), returning `WouldBlock` for an event with nothing behind it. Each one owns one
//! file descriptor (a `timerfd`, pidfd or eventfd on Linux, a private kqueue or a pipe on the
//! kqueue systems), so any number of them can share a `Poll`, the `Poll` keeps no state for
//! them, and nothing is allocated per event.
//!
//! Requires the `os-sources` cargo feature (off by default; it turns on `os-poll`). Today the
//! sources exist on Linux, Android and the kqueue systems (macOS, iOS, tvOS, visionOS,
//! watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly), with every backend those systems build
//! (including the forced poll(2) backend); [`ChildExit`] needs `waitid`, which OpenBSD lacks.
//! The other Unix systems and Windows do not have them yet.

#[cfg(ferrio_waitid)]
mod child;
mod signals;
mod timer;

#[cfg(ferrio_waitid)]
pub use self::child::ChildExit;
pub use self::signals::{SignalSet, Signals};
pub use self::timer::Timer;
