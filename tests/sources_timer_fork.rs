//! `ferrio::sources::Timer` in a child made by `fork` without `exec`, after the parent made a
//! timer: with the clock-thread timers (`--cfg ferrio_force_soft_timer` on Linux; Solaris,
//! Haiku, QNX, ...) the child inherits the timers' table but not the clock thread, and must
//! start its own; with kernel timers this holds anyway. A test binary of its own, with one
//! test, so that no other test's thread is inside a timer call at the fork.
// Not under Miri, which has no fork, nor where libc has none (tvOS, watchOS).
#![cfg(all(
    feature = "os-sources",
    ferrio_timer,
    unix,
    not(miri),
    not(any(target_os = "tvos", target_os = "watchos"))
))]

mod util;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use ferrio::sources::Timer;
use ferrio::{Events, Interest, Poll, Token};

use util::{expect_events, Expect, TIMEOUT};

/// Registers `timer` with `poll` under `token`, sets it, and checks that it fires once.
fn fires_once(poll: &mut Poll, timer: &mut Timer, token: Token) {
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(timer, token, Interest::READABLE)
        .unwrap();
    timer.set_oneshot(Duration::from_millis(1)).unwrap();
    expect_events(poll, &mut events, &[Expect::new(token, Interest::READABLE)]);
    assert_eq!(timer.expirations().unwrap(), 1);
}

/// What the child does: a new timer, and one inherited from the parent, each fire once. (The
/// parent never sets its copy, so the notifier they share sees only the child's expiry.)
fn child(inherited: &mut Timer) {
    let mut poll = Poll::new().unwrap();
    fires_once(&mut poll, &mut Timer::new().unwrap(), Token(1));
    fires_once(&mut poll, inherited, Token(2));
}

#[test]
fn timers_fire_in_a_forked_child() {
    // The parent's first timer starts the clock thread (clock-thread timers).
    let mut parent_timer = Timer::new().unwrap();
    let mut fds = [0; 2];
    // SAFETY: `fds` is a live array of two ints for pipe(2) to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe(2) succeeded: both fds are new and owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };

    // SAFETY: the child runs `child` (ferrio and std calls made by this thread only; no other
    // thread of this binary is inside a timer call) and then leaves through `_exit`, running
    // no destructor and no handler inherited from the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        drop(read);
        let ok =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| child(&mut parent_timer)))
                .is_ok();
        let byte = [u8::from(ok)];
        // SAFETY: `byte` is one live byte; `write` is this child's open pipe end.
        unsafe {
            libc::write(write.as_raw_fd(), byte.as_ptr().cast(), 1);
            libc::_exit(0)
        }
    }
    drop(write);

    // The child's verdict, waited for at most 3 * TIMEOUT (its own waits are TIMEOUT each).
    let deadline = Instant::now() + TIMEOUT * 3;
    let mut pfd = libc::pollfd {
        fd: read.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let mut verdict = None;
    while verdict.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let ms = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `pfd` is one live pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n > 0 {
            let mut byte = [0u8; 1];
            // SAFETY: `byte` is one live, writable byte.
            let got = unsafe { libc::read(read.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
            // Nothing (end of file): the child died before writing.
            verdict = Some(got == 1 && byte[0] == 1);
        }
    }
    if verdict.is_none() {
        // SAFETY: `pid` is our child, not reaped yet.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a live int.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    match verdict {
        Some(true) => {}
        Some(false) => panic!("the child's timers failed (its output is above)"),
        None => panic!("the child's timers did not fire within {:?}", TIMEOUT * 3),
    }
    drop(parent_timer);
}
