//! Timeouts finer than a millisecond on epoll: `epoll_pwait2` (Linux 5.11) takes a `timespec`
//! where `epoll_wait` takes whole milliseconds.
//!
//! The selector calls it only for a timeout with a part below the millisecond; `None` and
//! whole milliseconds keep the one `epoll_wait` they always cost. The first `ENOSYS` (a
//! kernel older than 5.11) or `EPERM` (a seccomp filter that does not know the call, as
//! older container runtimes install; `epoll_pwait2` itself never returns it) is remembered
//! for the whole process in one atomic flag, so an older kernel pays one failed call, once,
//! and from then on every timeout is rounded up to the millisecond as before.
//!
//! The call is made through `syscall(2)` rather than glibc's wrapper: the wrapper exists from
//! glibc 2.35 only, and linking to it would make every program built with ferrio refuse to
//! start on an older glibc. build.rs sets `ferrio_epoll_pwait2` only on 64-bit Linux, where
//! libc's `timespec` has the layout of the kernel's `__kernel_timespec`. (Not on Android,
//! whose app sandbox kills a process that makes a system call it does not list, as older
//! versions would for this one.)

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::sys::failpoints::syscall;

// The kernel reads two 64-bit fields; libc's timespec must be exactly that.
const _: () = assert!(std::mem::size_of::<libc::timespec>() == 16);

/// Whether `epoll_pwait2` may exist: cleared for good by its first ENOSYS or EPERM.
static AVAILABLE: AtomicBool = AtomicBool::new(true);

/// The timeout to give `epoll_pwait2`, if `timeout` needs it: one with a part below the
/// millisecond, while the call is not known to be missing.
pub(super) fn precise(timeout: Option<Duration>) -> Option<Duration> {
    match timeout {
        Some(t) if t.subsec_nanos() % 1_000_000 != 0 && AVAILABLE.load(Ordering::Relaxed) => {
            Some(t)
        }
        _ => None,
    }
}

/// Waits on `ep` with `epoll_pwait2` for at most `timeout`, writing at most `max` events to
/// `events`. `Ok(None)` if the system has no such call (remembered: the caller falls back to
/// `epoll_wait`, and later timeouts do not try again).
///
/// # Safety
///
/// `events` must be valid for writes of `max` `epoll_event`s.
pub(super) unsafe fn wait(
    ep: RawFd,
    events: *mut libc::epoll_event,
    max: libc::c_int,
    timeout: Duration,
) -> io::Result<Option<usize>> {
    // 2^31 - 1 seconds (68 years) is as good as forever, and fits every `time_t` (which
    // musl's libc asks not to name).
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as _,
        tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
    };
    let no_mask: *const libc::sigset_t = std::ptr::null();
    // MemorySanitizer cannot know what a raw system call writes: in its build (.ci/sanitizers
    // sets `ferrio_msan`) the buffer is zeroed first, so the events the kernel writes over it
    // count as initialised. Other builds pay nothing.
    #[cfg(ferrio_msan)]
    // SAFETY: `events` is valid for writes of `max` events (the caller's promise), and zero
    // bytes are a valid epoll_event.
    unsafe {
        std::ptr::write_bytes(events, 0, usize::try_from(max).unwrap_or(0))
    };
    // SAFETY: the kernel writes at most `max` events to `events` (valid for that many, by the
    // caller's promise) and reads `ts`, which lives across the call; a null signal mask
    // leaves the thread's mask alone (its size argument is then ignored). Every argument is
    // passed as a full register-sized value.
    let result = syscall!("epoll_pwait2", unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            libc::c_long::from(ep),
            events,
            libc::c_long::from(max),
            &ts as *const libc::timespec,
            no_mask,
            0 as libc::c_long,
        )
    });
    match result {
        Ok(n) => Ok(Some(n as usize)),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
            AVAILABLE.store(false, Ordering::Relaxed);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Whether the next sub-millisecond timeout will try `epoll_pwait2` (for the failpoint tests).
#[cfg(any(test, ferrio_failpoints))]
pub(crate) fn available() -> bool {
    AVAILABLE.load(Ordering::Relaxed)
}

/// Forgets a remembered ENOSYS (for the failpoint tests, which inject one).
#[cfg(any(test, ferrio_failpoints))]
pub(crate) fn forget_missing() {
    AVAILABLE.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::sys::failpoints::Plan;
    use crate::sys::{Selector, SelectorApi};

    #[test]
    fn whole_milliseconds_and_none_never_try_the_call() {
        assert_eq!(super::precise(None), None);
        assert_eq!(super::precise(Some(Duration::ZERO)), None);
        assert_eq!(super::precise(Some(Duration::from_millis(3))), None);
        assert_eq!(super::precise(Some(Duration::from_secs(2))), None);
    }

    #[test]
    fn enosys_falls_back_within_the_call_and_is_remembered() {
        let selector = Selector::new().unwrap();
        let mut events = Vec::with_capacity(4);
        Plan::new("epoll_pwait2", libc::ENOSYS).arm();
        selector
            .select(&mut events, Some(Duration::from_micros(200)))
            .unwrap();
        assert!(!super::available());
        assert_eq!(super::precise(Some(Duration::from_micros(200))), None);
        super::forget_missing();
        assert!(super::available());
    }
}
