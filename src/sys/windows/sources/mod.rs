//! The Windows side of `ferrio::sources` (feature `os-sources`): a [`Timer`] (a waitable
//! timer, `timer.rs`) and a [`ChildExit`] (a process handle, `child.rs`).
//!
//! Neither is a socket, so neither goes through AFD. Each has a *registered wait*
//! (`RegisterWaitForSingleObject`, [`Wait`]) on its kernel object; the system's wait thread
//! runs our callback when the object is signalled, and the callback, once the source has
//! something to tell, posts a completion packet to the port of the `Poll` the source is
//! registered with ([`Notifier::notify`]). The packet's key is [`KEY_SOURCE`] and its
//! `OVERLAPPED` pointer a strong reference on the source's [`Notifier`], which the selector
//! turns into a readable event under the source's *current* token ([`complete`]), or drops
//! unreported when the source was deregistered or dropped meanwhile. One packet at most is
//! queued per source (the `queued` flag), so an unread source cannot flood the port.
//!
//! Nothing here allocates after the source is made: a notification is a reference count
//! increment and a `PostQueuedCompletionStatus`.
//!
//! Dropping a source first unlinks it from its `Poll` (no event follows), then unregisters
//! the wait with `UnregisterWaitEx(INVALID_HANDLE_VALUE)`, which returns once no callback runs
//! or will run, and only then frees what the callbacks read.
//!
//! Both mechanisms (waitable timers, with or without `CREATE_WAITABLE_TIMER_HIGH_RESOLUTION`,
//! registered waits, waits on process handles) are implemented by Wine 8, where the test suite
//! runs them.

use std::ffi::c_void;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Threading::{
    RegisterWaitForSingleObject, UnregisterWaitEx, INFINITE,
};
use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_ENTRY};

use super::afd;
use super::iocp::KEY_SOURCE;
use super::selector::SelectorShared;
use super::Event;
use crate::io_source::{Registration, RegistryOp};
use crate::poll::PollerId;
use crate::sys::{already_registered, not_registered, registered_with_another_poll};
use crate::{Registry, Token};

mod child;
mod timer;

pub(crate) use self::child::ChildExit;
pub(crate) use self::timer::Timer;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where a source's notifications go: the selector and token of its registration, if any.
struct Link {
    selector: Option<Arc<SelectorShared>>,
    token: Token,
    /// Registered for readability (the only events these sources have): with any other
    /// interest alone, the registration reports nothing.
    readable: bool,
    /// A packet of this source is in the port of `selector` and not yet dequeued.
    queued: bool,
}

/// The part of a source that the wait callbacks and the selector share. It lives only in an
/// `Arc` ([`Notifier::new`] returns nothing else), which [`notify`](Notifier::notify) relies
/// on.
pub(crate) struct Notifier {
    link: Mutex<Link>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}

impl Notifier {
    pub(super) fn new() -> Arc<Notifier> {
        Arc::new(Notifier {
            link: Mutex::new(Link {
                selector: None,
                token: Token(0),
                readable: false,
                queued: false,
            }),
        })
    }

    /// Posts a packet for this source to the port of its `Poll`, unless it is not registered
    /// or a packet of it is already queued there.
    pub(super) fn notify(&self) {
        let mut link = lock(&self.link);
        if link.queued {
            return;
        }
        let Some(selector) = link.selector.as_ref().filter(|_| link.readable) else {
            return;
        };
        let raw = self as *const Notifier;
        // SAFETY: every `Notifier` lives in an `Arc` (`new` returns nothing else), and `self`
        // borrows it, so the count is at least one here. The reference made travels in the
        // packet and is taken back by `complete` or `release`, or below if the post fails.
        unsafe { Arc::increment_strong_count(raw) };
        if selector.post(KEY_SOURCE, raw as *mut OVERLAPPED).is_ok() {
            link.queued = true;
        } else {
            drop(link);
            // SAFETY: the reference made above, which no packet carries.
            unsafe { drop(Arc::from_raw(raw)) };
        }
    }

    fn unlink(&self) {
        let mut link = lock(&self.link);
        link.selector = None;
        link.queued = false;
    }
}

/// Turns a dequeued packet of a source into a readable event, if the source is still
/// registered with `selector` (the selector that dequeued it).
pub(super) fn complete(
    selector: &SelectorShared,
    entry: &OVERLAPPED_ENTRY,
    events: &mut Vec<Event>,
) {
    // SAFETY: packets with key KEY_SOURCE carry a strong reference made by `notify`, which
    // the dequeued packet returns to us exactly once.
    let notifier = unsafe { Arc::from_raw(entry.lpOverlapped as *const Notifier) };
    let mut link = lock(&notifier.link);
    let here = link
        .selector
        .as_ref()
        .is_some_and(|s| std::ptr::eq(&**s, selector));
    // A packet left in the port of a `Poll` the source no longer belongs to says nothing.
    if here {
        link.queued = false;
        if link.readable {
            events.push(Event::new(link.token, afd::POLL_RECEIVE));
        }
    }
    drop(link);
}

/// Frees the reference a packet of a source carries, unread (the selector is going away).
pub(super) fn release(entry: &OVERLAPPED_ENTRY) {
    // SAFETY: as in `complete`: the packet's reference, returned to us exactly once.
    drop(unsafe { Arc::from_raw(entry.lpOverlapped as *const Notifier) });
}

/// What a source type tells [`PortSource`].
pub(crate) trait Watched {
    fn notifier(&self) -> &Arc<Notifier>;
    /// Whether the source has something to report now (checked at `register` and
    /// `reregister`, as epoll reports a source that is ready when it is added).
    fn ready(&self) -> bool;
}

/// The registrable wrapper of a Windows source, with the operation methods of
/// `io_source::IoSource` (nothing needs re-arming here: the callbacks post by themselves).
pub(crate) struct PortSource<T: Watched> {
    inner: T,
    /// The `Poll` it is registered with, if any. A weak reference: a `Poll` that is gone holds
    /// no source.
    owner: Option<Weak<PollerId>>,
}

impl<T: Watched> PortSource<T> {
    pub(crate) fn new(inner: T) -> PortSource<T> {
        PortSource { inner, owner: None }
    }

    pub(crate) fn read_op<R>(&self, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        f(&self.inner)
    }

    pub(crate) fn any_op<R>(&self, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        f(&self.inner)
    }

    /// Whether the source is registered with `registry`'s `Poll`; an error if with another
    /// one that still exists.
    fn registered_here(&mut self, registry: &Registry) -> io::Result<bool> {
        match &self.owner {
            None => Ok(false),
            Some(w) if std::ptr::eq(w.as_ptr(), Arc::as_ptr(registry.poller())) => Ok(true),
            Some(w) if w.strong_count() > 0 => Err(registered_with_another_poll()),
            Some(_) => {
                // That `Poll` is gone, and the registration with it.
                self.owner = None;
                self.inner.notifier().unlink();
                Ok(false)
            }
        }
    }
}

impl<T: Watched> Registration for PortSource<T> {
    fn registration(&mut self, registry: &Registry, op: RegistryOp) -> io::Result<()> {
        let here = self.registered_here(registry)?;
        let (token, interests) = match op {
            RegistryOp::Register(..) if here => return Err(already_registered(None)),
            RegistryOp::Reregister(..) | RegistryOp::Deregister if !here => {
                return Err(not_registered(None))
            }
            RegistryOp::Deregister => {
                self.inner.notifier().unlink();
                self.owner = None;
                return Ok(());
            }
            RegistryOp::Register(token, interests) | RegistryOp::Reregister(token, interests) => {
                (token, interests)
            }
        };
        {
            let mut link = lock(&self.inner.notifier().link);
            link.token = token;
            link.readable = interests.is_readable();
            if !here {
                link.selector = Some(registry.selector().shared());
                link.queued = false;
            }
        }
        self.owner = Some(Arc::downgrade(registry.poller()));
        if self.inner.ready() {
            self.inner.notifier().notify();
        }
        Ok(())
    }
}

impl<T: Watched> Drop for PortSource<T> {
    fn drop(&mut self) {
        // No event after the drop: unlink before `inner` (and its wait) goes.
        self.inner.notifier().unlink();
    }
}

impl<T: Watched + std::fmt::Debug> std::fmt::Debug for PortSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

/// A registered wait (`RegisterWaitForSingleObject`), unregistered on drop once no callback
/// runs any more.
#[derive(Debug)]
pub(super) struct Wait(HANDLE);

// SAFETY: the wait handle is only passed to `UnregisterWaitEx`, from whichever thread.
unsafe impl Send for Wait {}
// SAFETY: no method reads or changes it through `&self`.
unsafe impl Sync for Wait {}

/// The callback type of a registered wait.
pub(super) type WaitCallback = unsafe extern "system" fn(*mut c_void, bool);

impl Wait {
    /// Runs `callback(context)` on the system's wait thread each time `object` is signalled
    /// (once only with `WT_EXECUTEONLYONCE` in `flags`).
    ///
    /// # Safety
    ///
    /// `object` must stay open, and `context` valid for `callback`, until the `Wait` is
    /// dropped; `callback` must not unregister the wait.
    pub(super) unsafe fn new(
        object: HANDLE,
        callback: WaitCallback,
        context: *const c_void,
        flags: u32,
    ) -> io::Result<Wait> {
        let mut handle: HANDLE = std::ptr::null_mut();
        // SAFETY: `handle` is valid for a write; the caller vouches for `object`, `context`
        // and `callback` as long as the wait exists.
        let ok = unsafe {
            RegisterWaitForSingleObject(
                &mut handle,
                object,
                Some(callback),
                context,
                INFINITE,
                flags,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Wait(handle))
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        // SAFETY: the handle is a registered wait of ours, unregistered once, here;
        // INVALID_HANDLE_VALUE makes the call return only after every callback has finished,
        // so the context may be freed after it. It is never called from the callback.
        let _ = unsafe { UnregisterWaitEx(self.0, INVALID_HANDLE_VALUE) };
    }
}
