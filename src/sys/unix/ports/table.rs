//! The event ports backend's decisions that need no kernel, kept apart so that they are
//! unit-tested on Linux too, where no event port exists:
//!
//! - what each registration has associated with the port, keyed by fd ([`Table`]), and which
//!   association register, reregister, a re-arm after `WouldBlock` and a deregistration make;
//! - how the events `port_getn` fetched become ferrio's events, in place in the caller's
//!   buffer, and which associations the poller makes again for what they did not report
//!   ([`Table::translate`]);
//! - the Wakers' user events, and how a `port_getn` timeout is cut into waits ([`wait_for`]).
//!
//! The selector (`selector.rs`) makes exactly the system calls these functions ask for,
//! through the closures they take; the tests pass closures that record them or fail.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use libc::{c_int, c_ushort};

use crate::sys::sync::{Arc, Mutex};
use crate::sys::unix::edge::{disarm, readiness, reported, PollBits, FATAL};
use crate::sys::{already_registered, not_registered, EventApi};
use crate::Token;

/// `PORT_SOURCE_USER`: an event sent with `port_send` (a Waker's).
pub(crate) const PORT_SOURCE_USER: c_int = 3;
/// `PORT_SOURCE_FD`: an fd association that fired.
pub(crate) const PORT_SOURCE_FD: c_int = 4;
/// The most events one `port_getn` call may fetch: the kernel refuses a larger `max` (its
/// `port_max_list`, 8192 by default), so a larger `Events` buffer is filled at most that far.
pub(crate) const MAX_GETN: usize = 8192;

/// One event: `port_getn` writes the system's `port_event` here (the selector checks that the
/// layouts agree), and [`Table::translate`] rewrites it in place into ferrio's event, whose
/// `events` are the poll(2) bits to report and whose `user` is the token.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    events: c_int,
    source: c_ushort,
    pad: c_ushort,
    object: usize,
    user: usize,
}

impl Event {
    /// Not an event of any source: what the selector puts in the first slot before waiting,
    /// so that slot is initialised whatever `port_getn` reports.
    pub(crate) const EMPTY: Event = Event {
        events: 0,
        source: 0,
        pad: 0,
        object: 0,
        user: 0,
    };

    fn bits(&self) -> PollBits {
        // The poll(2) bits fit the type (a C short on Solaris) they are defined in.
        self.events as PollBits
    }

    /// An event as the kernel writes it (for the tests).
    #[cfg(test)]
    pub(crate) fn raw(source: c_int, events: PollBits, object: usize, user: usize) -> Event {
        Event {
            events: c_int::from(events),
            source: source as c_ushort,
            pad: 0,
            object,
            user,
        }
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        Token(self.user)
    }
    fn is_readable(&self) -> bool {
        readiness::is_readable(self.bits())
    }
    fn is_writable(&self) -> bool {
        readiness::is_writable(self.bits())
    }
    fn is_error(&self) -> bool {
        readiness::is_error(self.bits())
    }
    fn is_read_closed(&self) -> bool {
        readiness::is_read_closed(self.bits())
    }
    fn is_write_closed(&self) -> bool {
        readiness::is_write_closed(self.bits())
    }
    fn is_priority(&self) -> bool {
        readiness::is_priority(self.bits())
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let events = self.events;
        f.debug_struct("port_event")
            .field("events", &format_args!("{events:#x}"))
            .field("source", &self.source)
            .field("object", &self.object)
            .field("token", &self.user)
            .finish()
    }
}

/// An association to make: `port_associate(port, PORT_SOURCE_FD, fd, bits, key)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Assoc {
    pub(crate) fd: RawFd,
    pub(crate) bits: PollBits,
    /// The registration's key, which its events carry back in `portev_user`.
    pub(crate) key: usize,
}

/// Which open file an fd names: its device and inode numbers (`fstat`), so that a stale entry,
/// whose fd was closed and whose number was reused, is told from the same file registered twice.
pub(crate) type FileId = (u64, u64);

/// A Waker's flag: true from a `port_send` that succeeded until the poller fetched its event,
/// so that the Wakes in between send nothing. A mutex, not an atomic: the `wake` that finds
/// it set and the poller that clears it are then ordered, so everything that `wake`'s caller
/// did before is visible to the poller's caller, and a send that fails leaves it clear.
pub(crate) type Pending = Arc<Mutex<bool>>;

#[derive(Debug)]
struct Entry {
    token: Token,
    /// Everything the registration asked for.
    interests: PollBits,
    /// What is associated with the port now (0: nothing).
    armed: PollBits,
    /// Distinguishes this registration from an earlier one of the same fd number.
    key: usize,
    /// The file the fd named when it was registered.
    file: FileId,
}

#[derive(Debug)]
struct WakerSlot {
    id: usize,
    token: Token,
    pending: Pending,
}

/// What [`Table::translate`] found besides the events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Translated {
    /// A registration was disarmed in some direction (the epoch must move).
    pub(crate) disarmed: bool,
}

/// The registrations of one port, indexed by fd number, and its Wakers.
#[derive(Debug)]
pub(crate) struct Table {
    slots: Vec<Option<Entry>>,
    wakers: Vec<WakerSlot>,
    /// The last key or Waker id handed out; never 0.
    last_key: usize,
}

fn lock(pending: &Pending) -> crate::sys::sync::MutexGuard<'_, bool> {
    pending
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Table {
    pub(crate) fn new() -> Table {
        Table {
            slots: Vec::new(),
            wakers: Vec::new(),
            last_key: 0,
        }
    }

    fn next_key(&mut self) -> usize {
        self.last_key = self.last_key.checked_add(1).unwrap_or(1);
        self.last_key
    }

    fn entry(&mut self, fd: RawFd) -> Option<&mut Entry> {
        self.slots.get_mut(usize::try_from(fd).ok()?)?.as_mut()
    }

    /// Adds `fd`, the open file `file`, with `interests`, once `associate` made the
    /// association.
    ///
    /// An entry for the same number is refused (registered twice) if it is the same file. If it
    /// is another file, the entry is stale: its fd was closed without being deregistered
    /// (through `SourceFd`), which dissociated it in the kernel without ferrio seeing it, and
    /// the number now names a new file. Then the new registration replaces it, as on epoll,
    /// where closing an fd ends its registration (poll(2) learns it from POLLNVAL instead).
    pub(crate) fn add(
        &mut self,
        fd: RawFd,
        file: FileId,
        token: Token,
        interests: PollBits,
        associate: impl FnOnce(Assoc) -> io::Result<()>,
    ) -> io::Result<()> {
        let Ok(index) = usize::try_from(fd) else {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        };
        if matches!(self.entry(fd), Some(old) if old.file == file) {
            return Err(already_registered(None));
        }
        let key = self.next_key();
        associate(Assoc {
            fd,
            bits: interests,
            key,
        })?;
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, || None);
        }
        self.slots[index] = Some(Entry {
            token,
            interests,
            armed: interests,
            key,
            file,
        });
        Ok(())
    }

    /// Replaces token and interests of `fd` and associates all of them.
    pub(crate) fn reregister(
        &mut self,
        fd: RawFd,
        token: Token,
        interests: PollBits,
        associate: impl FnOnce(Assoc) -> io::Result<()>,
    ) -> io::Result<()> {
        let entry = self.entry(fd).ok_or_else(|| not_registered(None))?;
        associate(Assoc {
            fd,
            bits: interests,
            key: entry.key,
        })?;
        *entry = Entry {
            token,
            interests,
            armed: interests,
            key: entry.key,
            file: entry.file,
        };
        Ok(())
    }

    /// Removes `fd`, dissociating it if anything is associated. The entry goes even if that
    /// fails (an fd closed behind ferrio's back is dissociated already, and gives EBADF);
    /// ENOENT (the association fired and its event is on its way) is no error.
    pub(crate) fn remove(
        &mut self,
        fd: RawFd,
        dissociate: impl FnOnce(RawFd) -> io::Result<()>,
    ) -> io::Result<()> {
        let entry = self.take(fd).ok_or_else(|| not_registered(None))?;
        if entry.armed == 0 {
            return Ok(());
        }
        match dissociate(fd) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            result => result,
        }
    }

    /// Removes `fd` without a system call: for a source being dropped, whose fd is closed
    /// right after, which dissociates it. Returns whether it was there.
    pub(crate) fn forget(&mut self, fd: RawFd) -> bool {
        self.take(fd).is_some()
    }

    fn take(&mut self, fd: RawFd) -> Option<Entry> {
        self.slots.get_mut(usize::try_from(fd).ok()?)?.take()
    }

    /// Associates `wanted` again (as far as `fd` registered it), unless it is associated
    /// still. Returns what is associated afterwards, `None` for an unknown fd (removed behind
    /// the source's back through `SourceFd`: nothing to arm, ever).
    pub(crate) fn rearm(
        &mut self,
        fd: RawFd,
        wanted: PollBits,
        associate: impl FnOnce(Assoc) -> io::Result<()>,
    ) -> io::Result<Option<PollBits>> {
        let Some(entry) = self.entry(fd) else {
            return Ok(None);
        };
        let wanted = wanted & entry.interests;
        if wanted & !entry.armed == 0 {
            return Ok(Some(entry.armed));
        }
        let bits = entry.armed | wanted;
        associate(Assoc {
            fd,
            bits,
            key: entry.key,
        })?;
        entry.armed = bits;
        Ok(Some(bits))
    }

    /// Adds a Waker reporting `token`: its id (which its user events carry) and its flag.
    pub(crate) fn add_waker(&mut self, token: Token) -> (usize, Pending) {
        let id = self.next_key();
        let pending = Arc::new(Mutex::new(false));
        self.wakers.push(WakerSlot {
            id,
            token,
            pending: Arc::clone(&pending),
        });
        (id, pending)
    }

    /// Removes a Waker: its events still in the port are dropped when fetched.
    pub(crate) fn remove_waker(&mut self, id: usize) {
        self.wakers.retain(|w| w.id != id);
    }

    /// Turns the events `port_getn` fetched, which `events` holds, into ferrio's events, in
    /// place (so the buffer never grows), and keeps the registrations watched:
    ///
    /// * an fd event of the current registration of its fd reports what it says (within the
    ///   interests; a hang-up or error always), and disarms that ([`disarm`]). The port dropped
    ///   the association when it fired, so whatever is still armed is associated again, now.
    ///   If that fails, what could not be associated is reported as ready instead: the
    ///   operations on it then return `WouldBlock` and re-arm, or return the error;
    /// * an fd event of an earlier registration (a different key) or of no registration
    ///   reports nothing; the current one is associated again all the same, since the port
    ///   may have taken its association along;
    /// * a Waker's event reports its token as readable and clears its flag; one of a Waker
    ///   that is gone, or of any other source, reports nothing.
    pub(crate) fn translate(
        &mut self,
        events: &mut Vec<Event>,
        mut associate: impl FnMut(Assoc) -> io::Result<()>,
    ) -> Translated {
        let mut found = Translated::default();
        let mut kept = 0;
        for i in 0..events.len() {
            let raw = events[i];
            let report = match c_int::from(raw.source) {
                PORT_SOURCE_FD => self.fd_event(&raw, &mut associate, &mut found),
                PORT_SOURCE_USER => self.user_event(raw.user),
                _ => None,
            };
            if let Some((token, bits)) = report {
                events[kept] = Event {
                    events: c_int::from(bits),
                    user: token.0,
                    ..raw
                };
                kept += 1;
            }
        }
        events.truncate(kept);
        found
    }

    fn fd_event(
        &mut self,
        raw: &Event,
        associate: &mut impl FnMut(Assoc) -> io::Result<()>,
        found: &mut Translated,
    ) -> Option<(Token, PollBits)> {
        let fd = RawFd::try_from(raw.object).ok()?;
        let entry = self.entry(fd)?;
        let mut report = if raw.user == entry.key {
            raw.bits() & (entry.interests | FATAL)
        } else {
            0
        };
        let armed = disarm(entry.armed, report);
        found.disarmed |= armed != entry.armed;
        entry.armed = armed;
        if armed != 0 {
            let key = entry.key;
            if associate(Assoc {
                fd,
                bits: armed,
                key,
            })
            .is_err()
            {
                report |= armed & (libc::POLLIN | libc::POLLPRI | libc::POLLOUT);
                entry.armed = 0;
                found.disarmed = true;
            }
        }
        (report != 0).then(|| (entry.token, reported(report)))
    }

    fn user_event(&mut self, id: usize) -> Option<(Token, PollBits)> {
        let waker = self.wakers.iter().find(|w| w.id == id)?;
        *lock(&waker.pending) = false;
        Some((waker.token, libc::POLLIN))
    }

    /// The entry of `fd`, for tests: (token, interests, armed, key).
    #[cfg(test)]
    fn get(&self, fd: RawFd) -> Option<(usize, PollBits, PollBits, usize)> {
        let e = self.slots.get(usize::try_from(fd).ok()?)?.as_ref()?;
        Some((e.token.0, e.interests, e.armed, e.key))
    }
}

/// How long the next `port_getn` of a `select(timeout)` that ends at `deadline` may wait:
/// `Some(None)` for ever, `Some(Some(t))` for `t`, `None` once the time is over. The first wait
/// of a call takes the whole timeout; later ones (after fetches that reported nothing) what is
/// left of it (a `deadline` of `None` with a timeout: it overflowed `Instant`, so waits take
/// the whole timeout again).
pub(crate) fn wait_for(
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    first: bool,
) -> Option<Option<Duration>> {
    let Some(t) = timeout else {
        return Some(None);
    };
    if first {
        return Some(Some(t));
    }
    match deadline {
        _ if t.is_zero() => None,
        None => Some(Some(t)),
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            (!left.is_zero()).then_some(Some(left))
        }
    }
}

// The table's Waker flags are loom's mutexes in a loom build, which only its models may use.
#[cfg(all(test, not(loom)))]
#[path = "tests.rs"]
mod tests;
