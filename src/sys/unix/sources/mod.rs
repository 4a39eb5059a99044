//! The kernel side of `ferrio::sources`: each source is one file descriptor that becomes
//! readable when the source has something to report, so that every backend (epoll, kqueue,
//! poll(2)) registers it like a pipe and nothing is kept by the `Poll`.
//!
//! | source | Linux, Android         | kqueue systems                                  |
//! |--------|------------------------|-------------------------------------------------|
//! | timer  | `timerfd` (`timerfd.rs`) | a private kqueue holding one `EVFILT_TIMER` (`kqueue_timer.rs`) |
//! | signals | handler + eventfd (`signals.rs`) | handler + pipe (`signals.rs`) |
//! | child exit | pidfd (`child_pidfd.rs`), else `SIGCHLD` (`child_sigchld.rs`) | a private kqueue with `EVFILT_PROC` (`child_kqueue.rs`) |
//!
//! The kqueue files use the kqueue system calls directly, whichever backend is the selector
//! (a forced poll(2) build on macOS polls the private kqueue's fd like any other).

#[cfg(ferrio_timerfd)]
mod timerfd;
#[cfg(ferrio_timerfd)]
pub(crate) use self::timerfd::Timer;

#[cfg(all(ferrio_kevent, not(ferrio_timerfd)))]
mod kqueue_timer;
#[cfg(all(ferrio_kevent, not(ferrio_timerfd)))]
pub(crate) use self::kqueue_timer::Timer;

mod signals;
pub(crate) use self::signals::{Signals, MAX_SIGNAL};

#[cfg(all(ferrio_waitid, ferrio_timerfd))]
mod child_pidfd;
#[cfg(ferrio_waitid)]
mod child_sigchld;
#[cfg(all(ferrio_waitid, ferrio_timerfd))]
pub(crate) use self::child_pidfd::ChildExit;
#[cfg(all(ferrio_pidfd, ferrio_failpoints))]
pub(crate) use self::child_pidfd::{forget_missing_pidfd, pidfd_available};
#[cfg(all(ferrio_waitid, ferrio_kevent, not(ferrio_timerfd)))]
mod child_kqueue;
#[cfg(all(ferrio_waitid, ferrio_kevent, not(ferrio_timerfd)))]
pub(crate) use self::child_kqueue::ChildExit;

use std::time::Duration;

/// `d` as a `timespec`, clamped to 2^31 - 1 seconds (68 years, as good as forever), which
/// fits every `time_t` (a type musl's libc asks not to name).
#[cfg_attr(not(ferrio_timerfd), allow(dead_code))]
pub(crate) fn timespec(d: Duration) -> libc::timespec {
    let max_secs = i32::MAX as u64;
    let (secs, nanos) = if d.as_secs() > max_secs {
        (max_secs, 999_999_999)
    } else {
        (d.as_secs(), d.subsec_nanos())
    };
    libc::timespec {
        tv_sec: secs as _,
        tv_nsec: nanos as _,
    }
}
