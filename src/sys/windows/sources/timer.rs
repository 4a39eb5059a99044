//! `Timer` on Windows: a waitable timer (high-resolution where the system has them) with a
//! registered wait whose callback notifies the `Poll`.
//!
//! The count of expirations is computed from the monotonic clock (`Instant`) and the arming
//! (its start, first delay and period), never from the number of callbacks: so missed periods
//! are counted, however late or coalesced the callbacks are. The kernel timer is only the
//! wake-up, armed once at a time (relative, in 100 ns units) for the next deadline:
//!
//! - a callback that finds an unread expiration notifies the `Poll` and leaves the kernel
//!   timer disarmed; the read that takes the expirations re-arms it for the next deadline
//!   (so a fast periodic timer that nobody reads costs nothing, and one read costs at most
//!   one more system call);
//! - a callback that finds none (it came before the deadline by our clock, or its signal is
//!   from an earlier arming, or a read took the expiration first) re-arms it for the next
//!   deadline: one more short wait instead of an early event.
//!
//! Periods therefore have the clock's resolution, not the milliseconds of `SetWaitableTimer`'s
//! own period, and never drift.

use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{ERROR_INVALID_PARAMETER, HANDLE};
use windows_sys::Win32::System::Threading::{
    CancelWaitableTimer, CreateWaitableTimerExW, SetWaitableTimer,
    CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, TIMER_ALL_ACCESS, WT_EXECUTEINWAITTHREAD,
};

use super::{lock, Notifier, Wait, Watched};

/// Set once `CREATE_WAITABLE_TIMER_HIGH_RESOLUTION` was refused (before Windows 10 1803).
static NO_HIGH_RESOLUTION: AtomicBool = AtomicBool::new(false);

/// The longest wait the kernel timer is armed for.
const MAX_KERNEL_WAIT: Duration = Duration::from_secs(24 * 3600);

/// One arming of the timer.
#[derive(Debug, Clone, Copy)]
struct Arming {
    start: Instant,
    /// The delay of a one-shot timer, or the period of a periodic one.
    delay: Duration,
    periodic: bool,
}

impl Arming {
    /// How many times it has expired by `now`.
    fn due(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start);
        if elapsed < self.delay {
            0
        } else if !self.periodic {
            1
        } else {
            // `delay` is not zero here (a zero period is refused, a zero delay made 1 ns).
            let n = elapsed.as_nanos() / self.delay.as_nanos().max(1);
            u64::try_from(n).unwrap_or(u64::MAX)
        }
    }

    /// How far after `start` the next expiry after the `due` ones comes, if ever.
    fn next(&self, due: u64) -> Option<Duration> {
        match (self.periodic, due) {
            (_, 0) => Some(self.delay),
            (false, _) => None,
            (true, n) => {
                let nanos = self.delay.as_nanos().checked_mul(u128::from(n) + 1)?;
                Some(Duration::from_nanos(u64::try_from(nanos).ok()?))
            }
        }
    }
}

#[derive(Debug)]
struct State {
    armed: Option<Arming>,
    /// Expirations of this arming already read.
    consumed: u64,
    /// The callback found an unread expiration, notified, and left the kernel timer
    /// disarmed: the next read re-arms it. (The read counts every expiration from the clock,
    /// so waking up before it would only burn the wait thread on a fast periodic timer.)
    paused: bool,
}

/// What the wait callback reads: kept alive by `Timer` until its wait is unregistered.
#[derive(Debug)]
struct Shared {
    handle: OwnedHandle,
    notifier: Arc<Notifier>,
    state: Mutex<State>,
}

impl Shared {
    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }

    /// Arms the kernel timer to fire once, `after` from now (at least 100 ns, at most a day:
    /// a farther deadline costs one early wake-up a day, which re-arms for the rest, and no
    /// system's arithmetic on a huge relative time can overflow).
    fn arm_kernel(&self, after: Duration) -> io::Result<()> {
        let after = after.min(MAX_KERNEL_WAIT);
        let ticks = ((after.as_nanos() + 99) / 100).max(1);
        // Negative: a relative time, in 100 ns units.
        let due = -i64::try_from(ticks).unwrap_or(i64::MAX);
        // SAFETY: the handle is an open waitable timer; `due` is valid for the call; no
        // completion routine.
        let ok = unsafe { SetWaitableTimer(self.raw(), &due, 0, None, ptr::null(), 0) };
        if ok == 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Arms the kernel timer for the first expiry of `arming` after its `due` ones, if any.
    fn arm_next(&self, arming: &Arming, due: u64, now: Instant) -> io::Result<()> {
        match arming.next(due) {
            Some(next) => {
                let at = arming.start.checked_add(next);
                self.arm_kernel(at.map_or(Duration::MAX, |at| at.saturating_duration_since(now)))
            }
            None => Ok(()),
        }
    }

    /// The callback's work: notifies when an expiration is unread (leaving the kernel timer to
    /// the read), or else re-arms the kernel timer for the next deadline.
    fn fire(&self) {
        let ready = {
            let mut state = lock(&self.state);
            let Some(arming) = state.armed else {
                // Cancelled; a late signal of an earlier arming.
                return;
            };
            let now = Instant::now();
            let due = arming.due(now);
            let ready = due > state.consumed;
            if ready {
                state.paused = true;
            } else {
                // Early by our clock, a stale signal, or an expiration read already: wait
                // for the next deadline. Should arming fail, the expirations are still
                // counted by the next read.
                let _ = self.arm_next(&arming, due, now);
            }
            ready
        };
        if ready {
            self.notifier.notify();
        }
    }
}

/// The wait callback of every timer; `context` is its `Shared`.
unsafe extern "system" fn on_signal(context: *mut c_void, _timed_out: bool) {
    // SAFETY: the context is the `Shared` of a `Timer`, which keeps it alive until its wait
    // is unregistered, and that waits for this callback to return.
    let shared = unsafe { &*(context as *const Shared) };
    shared.fire();
}

#[derive(Debug)]
pub(crate) struct Timer {
    // Declared first, so dropped first: no callback runs after it, and `shared` can go.
    _wait: Wait,
    shared: Arc<Shared>,
}

/// A new synchronization (auto-reset) timer, high-resolution if the system has them.
fn create_timer() -> io::Result<OwnedHandle> {
    let create = |flags: u32| {
        // SAFETY: no attributes, no name; returns a new handle or null.
        let raw =
            unsafe { CreateWaitableTimerExW(ptr::null(), ptr::null(), flags, TIMER_ALL_ACCESS) };
        if raw.is_null() {
            Err(io::Error::last_os_error())
        } else {
            // SAFETY: `raw` is a new handle that nothing else owns.
            Ok(unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) })
        }
    };
    if !NO_HIGH_RESOLUTION.load(Ordering::Relaxed) {
        match create(CREATE_WAITABLE_TIMER_HIGH_RESOLUTION) {
            Err(e) if e.raw_os_error() == Some(ERROR_INVALID_PARAMETER as i32) => {
                NO_HIGH_RESOLUTION.store(true, Ordering::Relaxed);
            }
            other => return other,
        }
    }
    create(0)
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        let shared = Arc::new(Shared {
            handle: create_timer()?,
            notifier: Notifier::new(),
            state: Mutex::new(State {
                armed: None,
                consumed: 0,
                paused: false,
            }),
        });
        // SAFETY: the timer handle and the context (`shared`) live in `shared`, which the
        // `Timer` keeps until after its `wait` is dropped (field order); `on_signal` never
        // unregisters the wait. The callback is short, so it runs on the wait thread.
        let wait = unsafe {
            Wait::new(
                shared.raw(),
                on_signal,
                Arc::as_ptr(&shared) as *const c_void,
                WT_EXECUTEINWAITTHREAD,
            )?
        };
        Ok(Timer {
            _wait: wait,
            shared,
        })
    }

    /// Arms the timer: once after `delay`, or every `delay` if `periodic`.
    pub(crate) fn set(&self, delay: Duration, periodic: bool) -> io::Result<()> {
        let mut state = lock(&self.shared.state);
        state.consumed = 0;
        state.paused = false;
        state.armed = Some(Arming {
            start: Instant::now(),
            delay,
            periodic,
        });
        if let Err(e) = self.shared.arm_kernel(delay) {
            state.armed = None;
            return Err(e);
        }
        Ok(())
    }

    pub(crate) fn cancel(&self) -> io::Result<()> {
        let mut state = lock(&self.shared.state);
        state.armed = None;
        state.consumed = 0;
        state.paused = false;
        // SAFETY: the handle is an open waitable timer. (A signal it already had stays; the
        // callback it leads to finds the timer disarmed.)
        if unsafe { CancelWaitableTimer(self.shared.raw()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The expirations since the last read, or `WouldBlock`. Re-arms the kernel timer if the
    /// callback left it for this read.
    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut state = lock(&self.shared.state);
        let Some(arming) = state.armed else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let now = Instant::now();
        let due = arming.due(now);
        if due <= state.consumed {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = due - state.consumed;
        state.consumed = due;
        if state.paused {
            // Should arming fail, the next read tries again; this one has its count.
            state.paused = self.shared.arm_next(&arming, due, now).is_err();
        }
        Ok(n)
    }
}

impl Watched for Timer {
    fn notifier(&self) -> &Arc<Notifier> {
        &self.shared.notifier
    }

    fn ready(&self) -> bool {
        let state = lock(&self.shared.state);
        state.armed.map_or(0, |a| a.due(Instant::now())) > state.consumed
    }
}
