//! The kernel side of `ferrio::sources`: each source is one file descriptor that becomes
//! readable when the source has something to report, so that every backend (epoll, kqueue,
//! event ports, poll(2)) registers it like a pipe and nothing is kept by the `Poll`.
//!
//! | source | timerfd systems (Linux, Android, illumos, Fuchsia) | kqueue systems | other Unix with signals |
//! |--------|------------------------|---------------------|---------------------------|
//! | timer  | `timerfd` (`timerfd.rs`) | a private kqueue holding one `EVFILT_TIMER` (`kqueue_timer.rs`) | a notifier and a clock thread (`soft_timer.rs`) |
//! | signals | handler + eventfd or pipe (`signals.rs`) | handler + pipe (`signals.rs`) | handler + eventfd or pipe |
//! | child exit | pidfd where `ferrio_pidfd` (`child_pidfd.rs`), else `SIGCHLD` (`child_sigchld.rs`) | a private kqueue with `EVFILT_PROC` (`child_kqueue.rs`) | `SIGCHLD` (`child_pidfd.rs` without pidfd) |
//!
//! The kqueue files use the kqueue system calls directly, whichever backend is the selector
//! (a forced poll(2) build on macOS polls the private kqueue's fd like any other). Which
//! system has what is build.rs's: `ferrio_timerfd`, `ferrio_kevent`, `ferrio_signals`,
//! `ferrio_waitid`, `ferrio_pidfd`.

#[cfg(all(ferrio_timerfd, not(ferrio_soft_timer)))]
mod timerfd;
#[cfg(all(ferrio_timerfd, not(ferrio_soft_timer)))]
pub(crate) use self::timerfd::Timer;

#[cfg(all(ferrio_kevent, not(ferrio_timerfd), not(ferrio_soft_timer)))]
mod kqueue_timer;
#[cfg(all(ferrio_kevent, not(ferrio_timerfd), not(ferrio_soft_timer)))]
pub(crate) use self::kqueue_timer::Timer;

#[cfg(ferrio_soft_timer)]
mod soft_timer;
#[cfg(ferrio_soft_timer)]
pub(crate) use self::soft_timer::Timer;

#[cfg(ferrio_signals)]
mod signals;
#[cfg(ferrio_signals)]
pub(crate) use self::signals::{Signals, MAX_SIGNAL};

#[cfg(all(ferrio_waitid, not(ferrio_kevent)))]
mod child_pidfd;
#[cfg(ferrio_waitid)]
mod child_sigchld;
#[cfg(all(ferrio_waitid, not(ferrio_kevent)))]
pub(crate) use self::child_pidfd::ChildExit;
#[cfg(all(ferrio_pidfd, ferrio_failpoints))]
pub(crate) use self::child_pidfd::{forget_missing_pidfd, pidfd_available};
#[cfg(ferrio_kevent)]
mod child_kqueue;
#[cfg(ferrio_kevent)]
pub(crate) use self::child_kqueue::ChildExit;

#[cfg(all(ferrio_timerfd, not(ferrio_soft_timer)))]
use std::time::Duration;

/// `d` as a `timespec`, clamped to 2^31 - 1 seconds (68 years, as good as forever), which
/// fits every `time_t` (a type musl's libc asks not to name).
#[cfg(all(ferrio_timerfd, not(ferrio_soft_timer)))]
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
