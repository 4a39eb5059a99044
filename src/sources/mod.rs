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
//! kqueue systems, an eventfd or a pipe elsewhere), and the `Poll` keeps no state for them.
//! On Windows each one owns a kernel object (a waitable timer, a process handle) with a wait
//! registered with the system's thread pool, whose callback posts a packet to the completion
//! port of the `Poll`.
//!
//! Requires the `os-sources` cargo feature (off by default; it turns on `os-poll`). Where
//! each source exists (on Unix with every backend the system builds, including the forced
//! poll(2) backend):
//!
//! | Source | Systems |
//! |---|---|
//! | [`Timer`] | every Unix: `timerfd` on Linux, Android, illumos and Fuchsia, kqueue on its systems (macOS, iOS, tvOS, visionOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly), elsewhere a clock thread (see [`Timer`]); Windows |
//! | `Signals`, `SignalSet` | Linux, Android, the kqueue systems, illumos, Solaris, Haiku, QNX Neutrino, GNU/Hurd, Cygwin, Redox, AIX (Unix signals: not on Windows) |
//! | [`ChildExit`] | those of `Signals` but Cygwin and Redox (no `waitid` in libc) and GNU/Hurd (whose `waitid`, built on `waitpid`, cannot leave a child unreaped); Windows |
//!
//! Not on WASI. Fuchsia has no POSIX signals and its child processes are Zircon handles, not
//! process IDs, so it has the timer only.

#[cfg(ferrio_child_exit)]
mod child;
#[cfg(ferrio_signals)]
mod signals;
#[cfg(ferrio_timer)]
mod timer;

#[cfg(ferrio_child_exit)]
pub use self::child::ChildExit;
#[cfg(ferrio_signals)]
pub use self::signals::{SignalSet, Signals};
#[cfg(ferrio_timer)]
pub use self::timer::Timer;
