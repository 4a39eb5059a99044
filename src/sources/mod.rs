//! Event sources beyond sockets and pipes (feature `os-sources`): a [`Timer`], a watch on Unix
//! signals (`Signals`), and a watch on a child process's exit ([`ChildExit`]). mio has none
//! of them.
//!
//! Each is an ordinary [`event::Source`](crate::event::Source): register it with a
//! [`Registry`](crate::Registry) like a socket, and it reports readable events under its token
//! when it has something to tell; a method then says what (`expirations`, `received`,
//! `exited`), returning `WouldBlock` for an event with nothing behind it. Any number of them
//! can share a `Poll`, and nothing is allocated per event. On Unix each one owns one file
//! descriptor (a `timerfd`, pidfd or eventfd on Linux, a private kqueue or a pipe on the
//! kqueue systems), and the `Poll` keeps no state for them. On Windows each one owns a kernel
//! object (a waitable timer, a process handle) with a wait registered with the system's
//! thread pool, whose callback posts a packet to the completion port of the `Poll`.
//!
//! Requires the `os-sources` cargo feature (off by default; it turns on `os-poll`). Where
//! each source exists:
//!
//! | Source | Systems |
//! |---|---|
//! | [`Timer`] | Linux, Android, the kqueue systems (macOS, iOS, tvOS, visionOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly), Windows |
//! | [`ChildExit`] | the same, but OpenBSD (no `waitid`) |
//! | `Signals`, `SignalSet` | Linux, Android, the kqueue systems (Unix signals: not on Windows) |
//!
//! On the Unix systems every backend they build has them (including the forced poll(2)
//! backend). The other Unix systems do not have them yet.

#[cfg(any(ferrio_waitid, windows))]
mod child;
#[cfg(unix)]
mod signals;
mod timer;

#[cfg(any(ferrio_waitid, windows))]
pub use self::child::ChildExit;
#[cfg(unix)]
pub use self::signals::{SignalSet, Signals};
pub use self::timer::Timer;
