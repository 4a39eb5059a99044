//! Timers where the OS has neither `timerfd` nor kqueue (Solaris, Haiku, QNX, Hurd, Cygwin,
//! Redox, AIX, ...; on Linux with `--cfg ferrio_force_soft_timer`, for the tests): each timer
//! is a notifier (eventfd or pipe) that the poller watches like any other fd, and one clock
//! thread per process, started with the first timer, makes it readable when it expires.
//!
//! The timers' state is a table of slots under one mutex, shared by the clock thread and the
//! timers: a deadline, a period, and the count of expirations not yet read. The clock thread
//! sleeps on a condition variable until the earliest deadline (or until a timer is set), then
//! counts each expired timer's expirations (the periods it missed included), moves a
//! periodic deadline on, and writes one byte (or eventfd count) to the timer's notifier. It
//! scans the table for the earliest deadline after each wake-up: O(timers) per expiry, and
//! nothing allocated (slots are made with their timers and reused after them).
//!
//! * Arming and cancelling replace the slot's setting, zero its count and drain the notifier,
//!   under the lock, so no expiration of an earlier setting is read after them.
//! * Reading drains the notifier and takes the count under the lock, so an expiry after the
//!   read writes again and is reported.
//! * Dropping frees the slot under the lock before the notifier is closed: the clock thread,
//!   which writes only under the lock, never writes to a closed (or reused) descriptor.
//! * The clock runs whether the timer is registered or not: a deregistered timer keeps
//!   counting, as the kernel timers do.
//! * A child made by `fork` (without `exec`) inherits the table but not the clock thread: the
//!   first timer it makes or sets starts its own, found by the process id that the table
//!   keeps. (Timers inherited from the parent share their notifiers with it, as an inherited
//!   timerfd would be shared. A fork while another thread holds the table's lock, the clock
//!   thread firing or a timer call, leaves it held for good in the child, like any lock; the
//!   `Timer` docs say so.)

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::sys::unix::notify::Notifier;

/// One timer's state in the table.
struct Slot {
    /// Whether a timer owns the slot.
    used: bool,
    /// The notifier's writing end (meaningful while `used`).
    fd: RawFd,
    /// The next expiry, `None` while disarmed.
    deadline: Option<Instant>,
    /// The period of a periodic timer, zero for a one-shot one.
    period: Duration,
    /// Expirations not yet read.
    count: u64,
}

/// The table of every timer's slot, and which process runs the clock thread.
struct Table {
    slots: Vec<Slot>,
    /// The id of the process that started the clock thread (which then runs for the life of
    /// that process), `None` before the first timer. A child made by `fork` without `exec`
    /// inherits the table but not the thread: there the id differs, and the next timer made
    /// or set starts the child's own clock thread.
    clock: Option<u32>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    slots: Vec::new(),
    clock: None,
});
/// Signalled when a timer is set, so that the clock thread sleeps to the right deadline.
static CHANGED: Condvar = Condvar::new();

fn table() -> MutexGuard<'static, Table> {
    // The lock protects plain counters: a panic while it was held leaves them usable.
    TABLE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Makes the notifier whose writing end is `fd` readable. A full pipe or counter is already
/// readable, so its error is harmless and ignored.
fn wake(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: `one` is 8 live bytes, at least `WRITE_LEN`; `fd` is open (the caller holds the
    // table's lock, and a slot's fd is closed only after its slot is freed under it).
    let _ = unsafe { libc::write(fd, (&one as *const u64).cast(), Notifier::WRITE_LEN) };
}

/// Starts the clock thread unless this process runs one already (see [`Table::clock`]).
/// Called with the table locked, which the new thread takes first: it waits for the caller.
fn start_clock(table: &mut Table) -> io::Result<()> {
    let pid = std::process::id();
    if table.clock != Some(pid) {
        std::thread::Builder::new()
            .name("ferrio-timers".into())
            .spawn(clock)?;
        table.clock = Some(pid);
    }
    Ok(())
}

/// The clock thread: fires what has expired, then sleeps until the next deadline.
fn clock() {
    let mut table = table();
    loop {
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        for slot in table.slots.iter_mut().filter(|s| s.used) {
            let Some(deadline) = slot.deadline else {
                continue;
            };
            if deadline <= now {
                if slot.period.is_zero() {
                    slot.count += 1;
                    slot.deadline = None;
                } else {
                    // Every period that ended by now counts; the next deadline is the first
                    // after now, on the timer's original schedule.
                    let late = now.duration_since(deadline).as_nanos();
                    let period = slot.period.as_nanos();
                    let missed = late / period;
                    slot.count = slot
                        .count
                        .saturating_add(u64::try_from(missed + 1).unwrap_or(u64::MAX));
                    let ahead = u64::try_from(period - late % period).unwrap_or(u64::MAX);
                    // Beyond what `Instant` holds: never again.
                    slot.deadline = now.checked_add(Duration::from_nanos(ahead));
                }
                wake(slot.fd);
            }
            if let Some(deadline) = slot.deadline {
                next = Some(next.map_or(deadline, |n| n.min(deadline)));
            }
        }
        table = match next {
            None => CHANGED.wait(table).unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(Instant::now());
                CHANGED
                    .wait_timeout(table, wait)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}

/// A timer whose notifier the clock thread makes readable.
#[derive(Debug)]
pub(crate) struct Timer {
    notifier: Notifier,
    /// Its index in the table.
    slot: usize,
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        let notifier = Notifier::new()?;
        let mut table = table();
        start_clock(&mut table)?;
        let fresh = Slot {
            used: true,
            fd: notifier.write_fd(),
            deadline: None,
            period: Duration::ZERO,
            count: 0,
        };
        let slot = match table.slots.iter().position(|s| !s.used) {
            Some(i) => {
                table.slots[i] = fresh;
                i
            }
            None => {
                table.slots.push(fresh);
                table.slots.len() - 1
            }
        };
        Ok(Timer { notifier, slot })
    }

    /// Arms the timer to expire after `delay` (not zero), and then every `delay` if
    /// `periodic`. Replaces any earlier setting and drops unread expirations.
    pub(crate) fn set(&self, delay: Duration, periodic: bool) -> io::Result<()> {
        let mut table = table();
        // A timer made before a `fork` and set in the child.
        start_clock(&mut table)?;
        self.notifier.drain()?;
        let slot = &mut table.slots[self.slot];
        // A deadline beyond what `Instant` can hold is as good as never.
        slot.deadline = Instant::now().checked_add(delay);
        slot.period = if periodic { delay } else { Duration::ZERO };
        slot.count = 0;
        CHANGED.notify_one();
        Ok(())
    }

    /// Disarms the timer and drops unread expirations.
    pub(crate) fn cancel(&self) -> io::Result<()> {
        let mut table = table();
        self.notifier.drain()?;
        let slot = &mut table.slots[self.slot];
        slot.deadline = None;
        slot.count = 0;
        Ok(())
    }

    /// The expirations since the last read (at least 1), or `WouldBlock` if there are none.
    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut table = table();
        self.notifier.drain()?;
        match std::mem::take(&mut table.slots[self.slot].count) {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        // Freed before the notifier closes (after this function), under the lock.
        let mut table = table();
        let slot = &mut table.slots[self.slot];
        slot.used = false;
        slot.deadline = None;
        slot.fd = -1;
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.notifier.fd()
    }
}

impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.notifier.as_fd()
    }
}
