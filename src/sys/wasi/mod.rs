//! WASI preview 1: a selector on `poll_oneoff`, the one readiness call of that interface.
//!
//! Preview 1 cannot create sockets: the runtime hands in listening sockets as preopened file
//! descriptors (wasmtime's `--tcplisten`), std wraps them (`TcpListener::from_raw_fd`), and
//! their accepted connections come from `sock_accept`. So `ferrio::net` has `TcpListener` and
//! `TcpStream` only, without `bind` or `connect`, and no `UdpSocket`, as in mio; their other
//! calls go through std (see `socket.rs`), which returns `Unsupported` for what preview 1
//! lacks (addresses, socket options). There is no `Waker`: a preview-1 program runs one
//! thread.
//!
//! `poll_oneoff` keeps no state between calls: the selector keeps the subscriptions (one per
//! registered direction, its `userdata` the token) and passes them all on every `select`, with
//! a relative monotonic clock subscription for the timeout. Readiness is therefore level
//! triggered: a source that stays readable is reported by every `select`, as by mio's backend
//! (which re-arms nothing either). Portable edge-triggered code still works; it only sees
//! more events than it needs.
//!
//! An event whose subscription failed (its `error` is set) is reported as an error event of
//! its token, rather than failing the whole `select`.
//!
//! Binding: libc declares neither `poll_oneoff` nor its subscription and event types for
//! wasm32-wasip1, so this backend uses the `wasi` crate (0.11, the preview-1 bindings mio
//! uses), a dependency of this target only.

pub(crate) mod socket;

use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::sys::{already_registered, not_registered, EventApi, SelectorApi};
use crate::{Interest, Token};

/// The raw handle the selector watches: a file descriptor.
pub(crate) type RawIo = RawFd;

/// The events buffer: a vector whose capacity is the caller's limit.
pub(crate) type Events = Vec<Event>;

/// The `userdata` of the timeout's clock subscription. Tokens may take any value, so clock
/// events are told apart by their type as well.
const TIMEOUT: wasi::Userdata = wasi::Userdata::MAX;

/// One readiness report, as `poll_oneoff` wrote it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event(wasi::Event);

impl EventApi for Event {
    fn token(&self) -> Token {
        Token(self.0.userdata as usize)
    }
    fn is_readable(&self) -> bool {
        self.0.type_ == wasi::EVENTTYPE_FD_READ
    }
    fn is_writable(&self) -> bool {
        self.0.type_ == wasi::EVENTTYPE_FD_WRITE
    }
    fn is_error(&self) -> bool {
        self.0.error != wasi::ERRNO_SUCCESS
    }
    fn is_read_closed(&self) -> bool {
        self.is_readable() && self.hung_up()
    }
    fn is_write_closed(&self) -> bool {
        self.is_writable() && self.hung_up()
    }
    fn is_priority(&self) -> bool {
        false
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.0;
        f.debug_struct("wasi::Event")
            .field("userdata", &e.userdata)
            .field("error", &e.error.raw())
            .field("type", &e.type_.raw())
            .field("nbytes", &e.fd_readwrite.nbytes)
            .field("flags", &format_args!("{:#x}", e.fd_readwrite.flags))
            .finish()
    }
}

impl Event {
    fn hung_up(&self) -> bool {
        self.0.fd_readwrite.flags & wasi::EVENTRWFLAGS_FD_READWRITE_HANGUP != 0
    }
}

/// What the clones of a selector share.
struct State {
    /// One subscription per registered direction; the timeout's clock subscription is pushed
    /// at the end for the length of one `select`.
    subscriptions: Vec<wasi::Subscription>,
    /// Where `poll_oneoff` writes, kept with room for every subscription (and the clock) so
    /// that `select` never allocates.
    out: Vec<wasi::Event>,
}

/// The `poll_oneoff` selector (see the module's documentation).
#[derive(Clone)]
pub(crate) struct Selector {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Selector")
            .field("subscriptions", &state.subscriptions.len())
            .finish()
    }
}

/// A subscription of `kind` (read or write readiness) for `fd`, reported under `token`.
fn fd_subscription(fd: RawFd, token: Token, kind: wasi::Eventtype) -> wasi::Subscription {
    let fd = wasi::SubscriptionFdReadwrite {
        file_descriptor: fd as wasi::Fd,
    };
    let u = if kind == wasi::EVENTTYPE_FD_READ {
        wasi::SubscriptionUU { fd_read: fd }
    } else {
        wasi::SubscriptionUU { fd_write: fd }
    };
    wasi::Subscription {
        userdata: token.0 as wasi::Userdata,
        u: wasi::SubscriptionU { tag: kind.raw(), u },
    }
}

/// The fd a read or write subscription watches (`None` for the clock).
fn subscription_fd(s: &wasi::Subscription) -> Option<RawFd> {
    let tag = s.u.tag;
    if tag == wasi::EVENTTYPE_FD_READ.raw() {
        // SAFETY: the tag says `fd_read` is the union's active field (`fd_subscription`
        // writes the two together).
        Some(unsafe { s.u.u.fd_read.file_descriptor } as RawFd)
    } else if tag == wasi::EVENTTYPE_FD_WRITE.raw() {
        // SAFETY: as above, for `fd_write`.
        Some(unsafe { s.u.u.fd_write.file_descriptor } as RawFd)
    } else {
        None
    }
}

/// The clock subscription that ends a `select` after `timeout` (relative, monotonic).
fn clock_subscription(timeout: Duration) -> wasi::Subscription {
    let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
    wasi::Subscription {
        userdata: TIMEOUT,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_CLOCK.raw(),
            u: wasi::SubscriptionUU {
                clock: wasi::SubscriptionClock {
                    id: wasi::CLOCKID_MONOTONIC,
                    timeout: nanos,
                    precision: 0,
                    flags: 0,
                },
            },
        },
    }
}

impl Selector {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent between calls: a panic cannot leave it half-changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SelectorApi for Selector {
    type Event = Event;

    fn new() -> io::Result<Selector> {
        Ok(Selector {
            state: Arc::new(Mutex::new(State {
                // Room for the clock of a `select` with nothing registered.
                subscriptions: Vec::with_capacity(1),
                out: Vec::with_capacity(1),
            })),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        Ok(self.clone())
    }

    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let mut state = self.lock();
        let State { subscriptions, out } = &mut *state;
        if let Some(timeout) = timeout {
            subscriptions.push(clock_subscription(timeout));
        }
        out.clear();
        // `register` keeps room for every subscription plus the clock; this never allocates.
        out.reserve(subscriptions.len());
        // SAFETY: `subscriptions` holds `len` initialised subscriptions, and `out` has room
        // for `len` events (one per subscription at most), which `poll_oneoff` writes.
        let result = unsafe {
            wasi::poll_oneoff(
                subscriptions.as_ptr(),
                out.as_mut_ptr(),
                subscriptions.len(),
            )
        };
        if timeout.is_some() {
            subscriptions.pop();
        }
        let n = result.map_err(|e| io::Error::from_raw_os_error(i32::from(e.raw())))?;
        // SAFETY: `poll_oneoff` succeeded and wrote `n` events, `n` at most the number of
        // subscriptions, for which `out` has room.
        unsafe { out.set_len(n.min(out.capacity())) };
        let room = events.capacity();
        for e in out.iter() {
            if e.type_ == wasi::EVENTTYPE_CLOCK && e.userdata == TIMEOUT {
                continue;
            }
            // Level-triggered: an event left out for want of room is reported again by the
            // next `select`.
            if events.len() == room {
                break;
            }
            events.push(Event(*e));
        }
        Ok(())
    }

    fn register(&self, fd: RawIo, token: Token, interests: Interest) -> io::Result<()> {
        let mut state = self.lock();
        if state
            .subscriptions
            .iter()
            .any(|s| subscription_fd(s) == Some(fd))
        {
            return Err(already_registered(None));
        }
        let State { subscriptions, out } = &mut *state;
        if interests.is_readable() {
            subscriptions.push(fd_subscription(fd, token, wasi::EVENTTYPE_FD_READ));
        }
        if interests.is_writable() {
            subscriptions.push(fd_subscription(fd, token, wasi::EVENTTYPE_FD_WRITE));
        }
        // Room for every subscription and the clock, so that `select` need not allocate.
        subscriptions.reserve(1);
        let wanted = subscriptions.len() + 1;
        out.reserve(wanted.saturating_sub(out.len()));
        Ok(())
    }

    fn reregister(&self, fd: RawIo, token: Token, interests: Interest) -> io::Result<()> {
        self.deregister(fd)?;
        self.register(fd, token, interests)
    }

    fn deregister(&self, fd: RawIo) -> io::Result<()> {
        let mut state = self.lock();
        let before = state.subscriptions.len();
        state
            .subscriptions
            .retain(|s| subscription_fd(s) != Some(fd));
        if state.subscriptions.len() == before {
            return Err(not_registered(None));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
