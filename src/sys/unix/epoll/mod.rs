//! The epoll selector (Linux, Android, Emscripten, Redox, illumos).
//!
//! illumos implements epoll on its /dev/poll driver, with Linux's calls, flags and
//! `epoll_event` layout (`EPOLLRDHUP` and `epoll_create1` included). Its differences, from its
//! epoll(7) page and mio's notes: closing an fd ends its registrations even where a duplicate
//! (a `dup`, or the copy a `fork`ed child holds) keeps the file open, whereas Linux goes on
//! reporting such a file; ferrio's sources deregister before they close, so they see no
//! difference. And an eventfd or pipe signals an edge only when it goes from empty to readable
//! on older releases, which the Waker handles (`ferrio_wake_from_empty`, see `waker.rs`).
//! ferrio uses no `EPOLLEXCLUSIVE`, `EPOLLONESHOT` or nested instances, where illumos differs
//! further.
//!
//! Edge-triggered (`EPOLLET`) registrations with the token in the 64-bit `data` field. Every
//! operation is exactly one system call and allocates nothing: `select` is one `epoll_wait`
//! straight into the caller's `Events` buffer. A `Waker` costs one `write` per wake-up the
//! poller consumes, not one per `wake` call (see [`Waker`]).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::atomic64::AtomicU64;
use crate::sys::sync::fence;
use std::time::Duration;

use super::timeout_ms;
use crate::sys::failpoints::syscall;
use crate::sys::{already_registered, not_registered, EventApi, SelectorApi};
use crate::{Interest, Token};

/// A raw epoll event; the public `Event` wraps it.
pub(crate) type Event = libc::epoll_event;

impl EventApi for Event {
    fn token(&self) -> Token {
        Token(self.u64 as usize)
    }
    fn is_readable(&self) -> bool {
        self.events & (libc::EPOLLIN | libc::EPOLLPRI) as u32 != 0
    }
    fn is_writable(&self) -> bool {
        self.events & libc::EPOLLOUT as u32 != 0
    }
    fn is_error(&self) -> bool {
        self.events & libc::EPOLLERR as u32 != 0
    }
    fn is_read_closed(&self) -> bool {
        let e = self.events;
        e & libc::EPOLLHUP as u32 != 0
            || (e & libc::EPOLLIN as u32 != 0 && e & libc::EPOLLRDHUP as u32 != 0)
    }
    fn is_write_closed(&self) -> bool {
        let e = self.events;
        e & libc::EPOLLHUP as u32 != 0
            || (e & libc::EPOLLOUT as u32 != 0 && e & libc::EPOLLERR as u32 != 0)
            || e == libc::EPOLLERR as u32
    }
    fn is_priority(&self) -> bool {
        self.events & libc::EPOLLPRI as u32 != 0
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (events, data) = (self.events, self.u64);
        f.debug_struct("epoll_event")
            .field("events", &format_args!("{events:#x}"))
            .field("u64", &data)
            .finish()
    }
}

#[derive(Debug)]
pub(crate) struct Selector {
    ep: OwnedFd,
    /// The poll generation: how many times `epoll_wait` has returned on this epoll instance.
    /// Shared by every `try_clone` of the selector and by every Waker registered with it.
    generation: Arc<AtomicU64>,
}

fn interests_to_epoll(interests: Interest) -> u32 {
    let mut flags = libc::EPOLLET as u32;
    if interests.is_readable() {
        flags |= (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
    }
    if interests.is_writable() {
        flags |= libc::EPOLLOUT as u32;
    }
    if interests.is_priority() {
        flags |= libc::EPOLLPRI as u32;
    }
    flags
}

impl Selector {
    fn ctl(&self, op: libc::c_int, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: interests_to_epoll(interests),
            u64: token.0 as u64,
            // Redox's epoll_event has a padding field of its own.
            #[cfg(ferrio_epoll_pad)]
            _pad: 0,
        };
        // SAFETY: `event` is a live epoll_event for the duration of the call.
        syscall!("epoll_ctl", unsafe {
            libc::epoll_ctl(self.ep.as_raw_fd(), op, fd, &mut event)
        })
        .map(drop)
    }

    /// One wait into the spare capacity of the (empty) `events`: `epoll_pwait2` for a timeout
    /// finer than a millisecond where the kernel has it (see `pwait2.rs`), else `epoll_wait`.
    /// Returns how many events the kernel wrote.
    fn wait(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<usize> {
        let max = events.capacity().min(libc::c_int::MAX as usize) as libc::c_int;
        #[cfg(ferrio_epoll_pwait2)]
        if let Some(precise) = pwait2::precise(timeout) {
            // SAFETY: the vector's spare capacity has room for `max` events.
            let n =
                unsafe { pwait2::wait(self.ep.as_raw_fd(), events.as_mut_ptr(), max, precise)? };
            if let Some(n) = n {
                return Ok(n);
            }
        }
        let timeout = timeout_ms(timeout, libc::c_int::MAX);
        // SAFETY: the kernel writes at most `max` events into the vector's spare capacity,
        // which is at least `max` elements long.
        let n = syscall!("epoll_wait", unsafe {
            libc::epoll_wait(self.ep.as_raw_fd(), events.as_mut_ptr(), max, timeout)
        })?;
        Ok(n as usize)
    }

    pub(crate) fn as_raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }

    pub(crate) fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(&self.ep)
    }
}

impl SelectorApi for Selector {
    type Event = Event;

    fn new() -> io::Result<Selector> {
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new fd we own.
        let ep = syscall!("epoll_create1", unsafe {
            libc::epoll_create1(libc::EPOLL_CLOEXEC)
        })?;
        // SAFETY: `ep` was just created and is owned by nobody else.
        let ep = unsafe { OwnedFd::from_raw_fd(ep) };
        Ok(Selector {
            ep,
            generation: Arc::new(AtomicU64::new(0)),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        // OwnedFd::try_clone duplicates with F_DUPFD_CLOEXEC.
        let ep = self.ep.try_clone()?;
        Ok(Selector {
            ep,
            generation: Arc::clone(&self.generation),
        })
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let n = self.wait(events, timeout);
        // Done on every return, errors included: an extra generation only costs a later
        // `wake` its write, never a wake-up.
        reopen_wakers(&self.generation);
        let n = n?;
        // SAFETY: the wait initialised exactly `n` (<= capacity) elements.
        unsafe { events.set_len(n) };
        Ok(())
    }

    fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, token, interests)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::EEXIST) {
                    already_registered(Some(e))
                } else {
                    e
                }
            })
    }

    fn reregister(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, token, interests)
            .map_err(map_enoent)
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        // A null event pointer is allowed for EPOLL_CTL_DEL since Linux 2.6.9.
        // SAFETY: no pointer is dereferenced for EPOLL_CTL_DEL.
        syscall!("epoll_ctl", unsafe {
            libc::epoll_ctl(
                self.ep.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                fd,
                std::ptr::null_mut(),
            )
        })
        .map(drop)
        .map_err(map_enoent)
    }
}

/// Re-opens every Waker of a poller whose `epoll_wait` just returned: the next `wake` of each
/// writes again. Then the fence that orders this against the `wake`s (see [`Waker`] for why
/// this order is sound); the loom model of the Waker runs this function as its poller.
fn reopen_wakers(generation: &AtomicU64) {
    generation.fetch_add(1, Ordering::Relaxed);
    fence(Ordering::SeqCst);
}

fn map_enoent(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ENOENT) {
        not_registered(Some(e))
    } else {
        e
    }
}

#[cfg(ferrio_epoll_pwait2)]
pub(crate) mod pwait2;
mod waker;

pub(crate) use self::waker::Waker;
