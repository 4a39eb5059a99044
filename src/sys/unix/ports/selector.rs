//! The event ports system calls: the port, the state its selector handles and sources share,
//! and `select`. What to call, and with what, comes from `table.rs`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use libc::{c_int, c_uint};

use super::kernel;
use super::table::{wait_for, Assoc, Event, FileId, Table, MAX_GETN};
use crate::sys::failpoints::syscall;
use crate::sys::sync::{Arc, Mutex, MutexGuard};
use crate::sys::unix::edge::{self, PollBits, PollerState, Rearm};
use crate::sys::SelectorApi;
use crate::{Interest, Token};

/// The state of one port, shared by its selector handles, its sources and its Wakers.
#[derive(Debug)]
pub(crate) struct Shared {
    port: OwnedFd,
    table: Mutex<Table>,
    /// The epoch of `edge/` and the handle count.
    poller: PollerState,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Table> {
        // The table is consistent after every step, so a panic elsewhere while it was locked
        // leaves nothing to repair.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn port(&self) -> RawFd {
        self.port.as_raw_fd()
    }

    fn associate(&self, a: Assoc) -> io::Result<()> {
        kernel::associate(self.port(), a.fd, c_int::from(a.bits), a.key)
    }

    /// The open file `fd` names (see `table::FileId`).
    fn file(fd: RawFd) -> io::Result<FileId> {
        // Zeroed, not uninitialised: MemorySanitizer does not see fstat write it (the unit tests
        // run this on Linux under MSan), and one register can afford the zeroing.
        let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
        // SAFETY: `st` is a live, writable `stat` buffer, which fstat fills in on success.
        syscall!("fstat", unsafe { libc::fstat(fd, st.as_mut_ptr()) })?;
        // SAFETY: fstat succeeded, so it initialised `st`.
        let st = unsafe { st.assume_init() };
        // The field types differ between the 32- and 64-bit systems: both widen to u64.
        #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
        Ok((st.st_dev as u64, st.st_ino as u64))
    }

    fn dissociate(&self, fd: RawFd) -> io::Result<()> {
        kernel::dissociate(self.port(), fd)
    }
}

impl Rearm for Shared {
    type Selector = Selector;

    fn of(selector: &Selector) -> &Arc<Shared> {
        &selector.shared
    }

    fn poller(&self) -> &PollerState {
        &self.poller
    }

    fn register(&self, fd: RawFd, token: Token, bits: PollBits) -> io::Result<u64> {
        let file = Shared::file(fd)?;
        let mut table = self.lock();
        table.add(fd, file, token, bits, |a| self.associate(a))?;
        Ok(self.poller.epoch())
    }

    fn reregister(&self, fd: RawFd, token: Token, bits: PollBits) -> io::Result<u64> {
        let mut table = self.lock();
        table.reregister(fd, token, bits, |a| self.associate(a))?;
        Ok(self.poller.epoch())
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.lock().remove(fd, |fd| self.dissociate(fd))
    }

    fn rearm(&self, fd: RawFd, wanted: PollBits) -> io::Result<u64> {
        let mut table = self.lock();
        let now = table
            .rearm(fd, wanted, |a| self.associate(a))?
            .unwrap_or(wanted);
        Ok(self.poller.record(now))
    }

    fn forget(&self, fd: RawFd) {
        // Closing the fd, right after, dissociates it.
        self.lock().forget(fd);
    }
}

/// The event ports selector. Clones share one port and its table; each clone holds its own
/// duplicate of the port's fd, which is what `AsRawFd` shows (as on epoll and kqueue).
#[derive(Debug)]
pub(crate) struct Selector {
    shared: Arc<Shared>,
    /// This handle's duplicate of the port's fd (`None`: the first handle, which shows the
    /// port's own fd).
    dup: Option<OwnedFd>,
}

impl Selector {
    pub(crate) fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }

    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.dup.as_ref().unwrap_or(&self.shared.port).as_fd()
    }

    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Drop for Selector {
    fn drop(&mut self) {
        self.shared.poller.handle_dropped();
    }
}

/// C's `time_t`. (musl's libc marks its alias deprecated because the width changes with musl
/// 1.2; on Linux this serves only the unit tests, which must build for musl too.)
#[allow(deprecated)]
type TimeT = libc::time_t;

/// A `timespec` for `port_getn`, the seconds clamped to `time_t`.
fn timespec(t: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: TimeT::try_from(t.as_secs()).unwrap_or(TimeT::MAX),
        // Below 10^9: fits a C long.
        tv_nsec: t.subsec_nanos() as libc::c_long,
    }
}

/// One `port_getn` into `events` (cleared first), waiting at most `wait` (`None`: for ever).
/// Returns how many events it fetched; a time-out is 0 events, not an error.
fn getn(port: RawFd, events: &mut Vec<Event>, wait: Option<Duration>) -> io::Result<usize> {
    events.clear();
    let max = events.capacity().min(MAX_GETN);
    let buf = &mut events.spare_capacity_mut()[..max];
    // The first slot is initialised, so that the count read below never covers memory the
    // kernel did not write: `port_getn` may fail with ETIME and still report what it fetched
    // in `nget`, which may keep the 1 passed in when it fetched nothing.
    buf[0].write(Event::EMPTY);
    let mut ts = wait.map(timespec);
    // Wait for at least one event.
    let mut nget: c_uint = 1;
    let n = match kernel::getn(port, buf, &mut nget, ts.as_mut()) {
        Ok(()) => nget as usize,
        Err(e) if e.raw_os_error() == Some(kernel::ETIME) => nget as usize,
        Err(e) => return Err(e),
    };
    let n = n.min(max);
    // SAFETY: the kernel wrote the first `n` events (`n <= max <= capacity`), or, when it
    // fetched nothing and left `nget` at 1, the first one is the `EMPTY` written above.
    unsafe { events.set_len(n) };
    Ok(n)
}

impl SelectorApi for Selector {
    type Event = Event;

    fn new() -> io::Result<Selector> {
        let port = kernel::create()?;
        // port_create takes no flags: close-on-exec is set afterwards.
        crate::sys::unix::set_cloexec(port.as_fd())?;
        Ok(Selector {
            shared: Arc::new(Shared {
                port,
                table: Mutex::new(Table::new()),
                poller: PollerState::new(),
            }),
            dup: None,
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        // OwnedFd::try_clone duplicates with F_DUPFD_CLOEXEC.
        let dup = self.shared.port.try_clone()?;
        self.shared.poller.handle_added();
        Ok(Selector {
            shared: Arc::clone(&self.shared),
            dup: Some(dup),
        })
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        // `Poll::poll`, the only caller, refuses a buffer without room.
        debug_assert!(events.capacity() > 0);
        let shared = &*self.shared;
        let deadline = match timeout {
            Some(t) if !t.is_zero() => Instant::now().checked_add(t),
            _ => None,
        };
        let mut first = true;
        while let Some(wait) = wait_for(timeout, deadline, first) {
            first = false;
            if getn(shared.port(), events, wait)? == 0 {
                return Ok(());
            }
            let mut table = shared.lock();
            let found = table.translate(events, |a| shared.associate(a));
            if found.disarmed {
                // Still under the lock: see the epoch of `edge/`.
                shared.poller.disarmed();
            }
            drop(table);
            if !events.is_empty() {
                return Ok(());
            }
            // Only events that report nothing (of registrations or Wakers since gone): wait
            // again for what is left of the timeout.
        }
        events.clear();
        Ok(())
    }

    fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.shared.register_interests(fd, token, interests)
    }

    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.shared.reregister_interests(fd, token, interests)
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        Rearm::deregister(&*self.shared, fd)
    }
}

/// Per-source state: the registration of `edge/`, over this backend's table.
pub(crate) type IoSourceState = edge::IoSourceState<Shared>;
