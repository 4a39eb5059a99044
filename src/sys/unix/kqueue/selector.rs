//! The kqueue system calls: the selector and its events.
//!
//! Each source gets one filter per direction (`EVFILT_READ`, `EVFILT_WRITE`), added with
//! `EV_CLEAR` so that it reports edges, with the token in `udata`. Changes go to the kernel
//! with `EV_RECEIPT` in arrays on the stack: the kernel answers every change with its own
//! receipt (its errno, or 0), so each change's failure is known and nothing is allocated.
//! What the changes are and how their receipts read is decided in `rules.rs`.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::time::Duration;

use super::rules::{self, Action, Change, Consts, Failure, Filter, Op, RawEvent, UData};
use crate::sys::failpoints::syscall;
use crate::sys::{not_registered, EventApi, SelectorApi};
use crate::{Interest, Token};

/// The kevent constants of the target, for the rules.
const OS: Consts = Consts {
    filt_read: libc::EVFILT_READ as i64,
    filt_write: libc::EVFILT_WRITE as i64,
    filt_user: libc::EVFILT_USER as i64,
    filt_aio: FILT_AIO,
    filt_lio: FILT_LIO,
    ev_eof: libc::EV_EOF as u64,
    ev_error: libc::EV_ERROR as u64,
};

// The filters of `Interest::AIO` and `Interest::LIO`, where they exist (build.rs).
#[cfg(ferrio_aio)]
const FILT_AIO: Option<i64> = Some(libc::EVFILT_AIO as i64);
#[cfg(not(ferrio_aio))]
const FILT_AIO: Option<i64> = None;
#[cfg(ferrio_lio)]
const FILT_LIO: Option<i64> = Some(libc::EVFILT_LIO as i64);
#[cfg(not(ferrio_lio))]
const FILT_LIO: Option<i64> = None;

/// A returned kevent; the public `Event` wraps it.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Event(libc::kevent);

// SAFETY: the only field that is not plain data is `udata`, a pointer on most systems. ferrio
// stores a token in it and reads the token back; it is never dereferenced, so sharing or
// sending an event shares or sends nothing but numbers.
unsafe impl Send for Event {}
// SAFETY: `udata`, the only field that is not plain data, is never dereferenced: ferrio
// reads a token back from it, so a shared event shares nothing but numbers.
unsafe impl Sync for Event {}

impl Event {
    fn raw(&self) -> RawEvent {
        RawEvent {
            filter: i64::from(self.0.filter),
            flags: u64::from(self.0.flags),
            fflags: u64::from(self.0.fflags),
        }
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.0.udata.token()
    }
    fn is_readable(&self) -> bool {
        self.raw().is_readable(&OS)
    }
    fn is_writable(&self) -> bool {
        self.raw().is_writable(&OS)
    }
    fn is_error(&self) -> bool {
        self.raw().is_error(&OS)
    }
    fn is_read_closed(&self) -> bool {
        self.raw().is_read_closed(&OS)
    }
    fn is_write_closed(&self) -> bool {
        self.raw().is_write_closed(&OS)
    }
    fn is_priority(&self) -> bool {
        false
    }
    fn is_aio(&self) -> bool {
        self.raw().is_aio(&OS)
    }
    fn is_lio(&self) -> bool {
        self.raw().is_lio(&OS)
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Copies: on x86_64 macOS the struct is packed, so its fields cannot be borrowed.
        let libc::kevent {
            ident,
            filter,
            flags,
            fflags,
            data,
            udata,
            ..
        } = self.0;
        f.debug_struct("kevent")
            .field("ident", &ident)
            .field("filter", &filter)
            .field("flags", &format_args!("{flags:#x}"))
            .field("fflags", &format_args!("{fflags:#x}"))
            .field("data", &data)
            .field("udata", &format_args!("{:#x}", udata.token().0))
            .finish()
    }
}

/// An all-zero kevent: no ident, no filter, no flags, null `udata`.
pub(super) fn empty_kevent() -> libc::kevent {
    // SAFETY: kevent is a C struct of integers, a pointer (or integer) `udata` and, on some
    // systems, an array of integers; all-zero bytes are a valid value of each.
    unsafe { std::mem::zeroed() }
}

/// A kevent's `data`: `i64` on some systems, `intptr_t` on others, which always fits.
#[allow(clippy::unnecessary_cast)]
fn data_of(kev: &libc::kevent) -> i64 {
    kev.data as i64
}

/// A zero timeout: change submissions must never wait for events.
const NO_WAIT: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

#[derive(Debug)]
pub(crate) struct Selector {
    kq: OwnedFd,
}

impl Selector {
    pub(crate) fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }

    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }

    /// Submits `changes` (each with `EV_RECEIPT`) and returns the receipts the kernel wrote,
    /// at most one per change, in `receipts`.
    ///
    /// The eventlist has room for exactly one receipt per change, so the kernel never hands
    /// over a real event here, and the zero timeout means it never waits: a kernel that
    /// wrote no receipts returns at once with none.
    ///
    /// `EINTR` counts as success with no receipts: a signal can only interrupt the wait for
    /// events, which comes after the whole changelist has been applied (FreeBSD's kevent(2)
    /// says so; the others process changes first too). With a zero timeout there is no wait
    /// anyway.
    fn submit<'r>(
        &self,
        changes: &[libc::kevent],
        receipts: &'r mut [MaybeUninit<libc::kevent>],
    ) -> io::Result<&'r [libc::kevent]> {
        let n = changes.len().min(receipts.len());
        // SAFETY: `changes` holds at least `n` initialised kevents; `receipts` has room for
        // `n`, which the kernel never exceeds; the timeout is a live timespec. `n` is at most
        // 2, so the casts to c_int or size_t are exact.
        let ret = syscall!("kevent", unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                changes.as_ptr(),
                n as _,
                receipts.as_mut_ptr().cast::<libc::kevent>(),
                n as _,
                &NO_WAIT,
            )
        });
        let got = match ret {
            Ok(got) => (got as usize).min(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        // SAFETY: the kernel initialised the first `got` receipts, and `MaybeUninit<T>` has
        // the layout of `T`.
        Ok(unsafe { std::slice::from_raw_parts(receipts.as_ptr().cast::<libc::kevent>(), got) })
    }

    /// Carries out a registry operation on `fd`: the changes of its plan, then the verdict
    /// on their receipts.
    fn apply(&self, fd: RawFd, token: Token, op: Op) -> io::Result<()> {
        let plan = rules::plan(op);
        let mut changes = [empty_kevent(); 2];
        for (kev, change) in changes.iter_mut().zip(plan.changes()) {
            *kev = fd_change(fd, *change, token);
        }
        let changes = &changes[..plan.changes().len()];
        if changes.is_empty() {
            return Ok(());
        }
        let mut receipts = [MaybeUninit::<libc::kevent>::uninit(); 2];
        let receipts = self.submit(changes, &mut receipts)?;
        let decoded = receipts.iter().filter_map(|r| {
            let filter = OS.filter(i64::from(r.filter))?;
            Some((filter, OS.receipt_errno(u64::from(r.flags), data_of(r))))
        });
        plan.outcome(decoded).map_err(|failure| match failure {
            Failure::Os(errno) => io::Error::from_raw_os_error(errno),
            Failure::NotRegistered(errno) => {
                not_registered(Some(io::Error::from_raw_os_error(errno)))
            }
        })
    }

    /// Submits one change for a user filter (a Waker) and returns its own error, if any.
    pub(super) fn apply_user(&self, change: libc::kevent) -> io::Result<()> {
        let mut receipt = [MaybeUninit::<libc::kevent>::uninit(); 1];
        match self.submit(&[change], &mut receipt)?.first() {
            Some(r) => match OS.receipt_errno(u64::from(r.flags), data_of(r)) {
                0 => Ok(()),
                errno => Err(io::Error::from_raw_os_error(errno)),
            },
            None => Ok(()),
        }
    }
}

/// The kevent for one change of a source's registration.
fn fd_change(fd: RawFd, change: Change, token: Token) -> libc::kevent {
    let mut kev = empty_kevent();
    // A negative fd becomes an ident no fd has; the kernel answers EBADF.
    kev.ident = fd as libc::uintptr_t;
    kev.filter = match change.filter {
        Filter::Read => libc::EVFILT_READ,
        Filter::Write => libc::EVFILT_WRITE,
    };
    kev.flags = libc::EV_RECEIPT
        | match change.action {
            Action::Add => libc::EV_ADD | libc::EV_CLEAR,
            Action::Delete => libc::EV_DELETE,
        };
    kev.udata = UData::from_token(token);
    kev
}

impl SelectorApi for Selector {
    type Event = Event;

    fn new() -> io::Result<Selector> {
        // SAFETY: kqueue takes no arguments; a non-negative result is a new fd we own.
        let kq = syscall!("kqueue", unsafe { libc::kqueue() })?;
        // SAFETY: `kq` was just created and is owned by nobody else. Owning it at once means
        // that the early return below closes it.
        let kq = unsafe { OwnedFd::from_raw_fd(kq) };
        // Not atomic with the creation (kqueue() takes no flags on every system), so another
        // thread's fork+exec may inherit it in between. Child processes do not
        // inherit kqueues anyway; exec is what the flag is about.
        crate::sys::unix::set_cloexec(kq.as_fd())?;
        Ok(Selector { kq })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        // OwnedFd::try_clone duplicates with F_DUPFD_CLOEXEC.
        self.kq.try_clone().map(|kq| Selector { kq })
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let timeout = timeout.map(|t| {
            let (tv_sec, tv_nsec) = rules::timespec_parts(t);
            libc::timespec { tv_sec, tv_nsec }
        });
        let timeout_ptr = timeout
            .as_ref()
            .map_or(ptr::null(), |t| t as *const libc::timespec);
        let max = events.capacity().min(libc::c_int::MAX as usize);
        // SAFETY: no changes are passed; the kernel writes at most `max` kevents into the
        // vector's spare capacity, which holds at least `max` elements, and `Event` is a
        // `repr(transparent)` kevent. The timeout is null or a live timespec. `max` fits
        // both c_int and size_t (NetBSD's count type).
        let n = syscall!("kevent", unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                ptr::null(),
                0,
                events.as_mut_ptr().cast::<libc::kevent>(),
                max as _,
                timeout_ptr,
            )
        })?;
        // SAFETY: kevent initialised exactly `n` (<= max <= capacity) elements.
        unsafe { events.set_len(n as usize) };
        Ok(())
    }

    /// kqueue's `EV_ADD` updates an existing filter instead of failing, so registering an fd
    /// twice is not detected here (see `rules::plan`).
    fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.apply(fd, token, Op::Register(interests))
    }

    /// Unlike epoll, an fd that was never registered is registered by this (its adds succeed).
    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.apply(fd, token, Op::Reregister(interests))
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.apply(fd, Token(0), Op::Deregister)
    }
}

/// These need a kqueue kernel: CI only type-checks them (no such machine here); they run on
/// any macOS or BSD box with `cargo test --lib kqueue`.
#[cfg(test)]
mod tests {
    use std::io::{self, Write};
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::time::{Duration, Instant};

    use super::super::waker::Waker;
    use super::{Event, Selector};
    use crate::sys::unix::pipe;
    use crate::sys::{EventApi, SelectorApi, WakerApi};
    use crate::{Interest, Token};

    const WAIT: Duration = Duration::from_secs(5);

    /// Polls until an event arrives or `WAIT` has passed; returns (token, readable, writable).
    fn poll_some(selector: &Selector) -> Vec<(Token, bool, bool)> {
        let deadline = Instant::now() + WAIT;
        let mut events: Vec<Event> = Vec::with_capacity(8);
        loop {
            selector
                .select(
                    &mut events,
                    Some(deadline.saturating_duration_since(Instant::now())),
                )
                .expect("select");
            if !events.is_empty() || Instant::now() >= deadline {
                return events
                    .iter()
                    .map(|e| (e.token(), e.is_readable(), e.is_writable()))
                    .collect();
            }
        }
    }

    fn poll_none(selector: &Selector) -> usize {
        let mut events: Vec<Event> = Vec::with_capacity(8);
        selector
            .select(&mut events, Some(Duration::from_millis(50)))
            .expect("select");
        events.len()
    }

    fn write_byte(fd: &OwnedFd) {
        let mut file = std::fs::File::from(fd.try_clone().expect("dup"));
        file.write_all(&[1]).expect("write");
    }

    #[test]
    fn pipe_registration_lifecycle() {
        let selector = Selector::new().expect("kqueue");
        let (read, write) = pipe::new_raw().expect("pipe");
        let token = Token(usize::MAX);
        selector
            .register(read.as_raw_fd(), token, Interest::READABLE)
            .expect("register");
        write_byte(&write);
        assert_eq!(poll_some(&selector), [(token, true, false)]);
        // EV_CLEAR: the same unread byte is not reported again.
        assert_eq!(poll_none(&selector), 0);

        selector
            .reregister(read.as_raw_fd(), Token(3), Interest::READABLE)
            .expect("reregister");
        write_byte(&write);
        assert_eq!(poll_some(&selector), [(Token(3), true, false)]);

        selector.deregister(read.as_raw_fd()).expect("deregister");
        write_byte(&write);
        assert_eq!(poll_none(&selector), 0);
        let err = selector
            .deregister(read.as_raw_fd())
            .expect_err("second deregister");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(err.get_ref().and_then(|e| e.source()).map(|_| ()), Some(()));
    }

    #[test]
    fn write_interest_and_both_directions() {
        let selector = Selector::new().expect("kqueue");
        let (_read, write) = pipe::new_raw().expect("pipe");
        selector
            .register(write.as_raw_fd(), Token(9), Interest::WRITABLE)
            .expect("register");
        assert_eq!(poll_some(&selector), [(Token(9), false, true)]);
        // Only one direction registered: deregistering still succeeds.
        selector.deregister(write.as_raw_fd()).expect("deregister");
    }

    #[test]
    fn bad_fd_keeps_the_os_error() {
        let selector = Selector::new().expect("kqueue");
        let err = selector
            .register(-1, Token(0), Interest::READABLE)
            .expect_err("register -1");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    }

    #[test]
    fn wakers_are_independent_and_coalesce() {
        let selector = Selector::new().expect("kqueue");
        let a = Waker::new(&selector, Token(1)).expect("waker a");
        let b = Waker::new(&selector, Token(2)).expect("waker b");
        a.wake().expect("wake");
        a.wake().expect("wake again");
        assert_eq!(poll_some(&selector), [(Token(1), true, false)]);
        assert_eq!(poll_none(&selector), 0);
        b.wake().expect("wake b");
        assert_eq!(poll_some(&selector), [(Token(2), true, false)]);
        // A dropped Waker's filter is gone: its last wake is never reported.
        a.wake().expect("wake before drop");
        drop(a);
        assert_eq!(poll_none(&selector), 0);
    }

    #[test]
    fn zero_timeout_does_not_block() {
        let selector = Selector::new().expect("kqueue");
        let start = Instant::now();
        assert_eq!(poll_none(&selector), 0);
        let mut events: Vec<Event> = Vec::with_capacity(1);
        selector
            .select(&mut events, Some(Duration::ZERO))
            .expect("select");
        assert!(events.is_empty());
        assert!(start.elapsed() < WAIT);
    }
}
