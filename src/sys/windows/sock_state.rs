//! One registered socket's AFD poll request: its state machine (idle, pending, cancelled), the
//! buffers the driver writes, and how a finished request becomes event bits. The selector
//! (`selector.rs`) decides when to call [`SockState::update`] and dequeues the packets that
//! [`SockState::complete`] reads.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::io;
use std::os::windows::io::RawSocket;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use windows_sys::Win32::Foundation::{ERROR_INVALID_HANDLE, HANDLE, STATUS_CANCELLED};
use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;

use super::afd::{self, Afd, PollInfo};
use crate::Token;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Idle,
    Pending,
    Cancelled,
}

/// The buffers the driver writes while a request is in flight.
pub(super) struct Io {
    pub(super) iosb: UnsafeCell<IO_STATUS_BLOCK>,
    pub(super) info: UnsafeCell<PollInfo>,
}

pub(super) struct SockState {
    pub(super) io: Box<Io>,
    /// The helper handle the requests go through; released (set to `None`) once the state is
    /// deleted and no request is in flight, so that an unused helper can be closed.
    pub(super) afd: Option<Arc<Afd>>,
    pub(super) base: RawSocket,
    pub(super) token: Token,
    /// The bits of the registered interests.
    pub(super) registered: u32,
    /// The bits currently armed: registered, not yet reported, or re-armed since.
    pub(super) armed: u32,
    /// The bits the request in flight asks for.
    pub(super) pending: u32,
    pub(super) status: Status,
    pub(super) deleted: bool,
    /// In the selector's update queue.
    pub(super) queued: bool,
    /// The error of the last failed submission, reported until one succeeds.
    pub(super) error: Option<i32>,
}

// SAFETY: the raw pointers inside (`HANDLE` in the poll buffer) are plain values the driver
// reads; the buffers are touched by this crate only under the state's mutex and only while no
// request is in flight.
unsafe impl Send for SockState {}

pub(super) type StateRef = Arc<Mutex<SockState>>;

impl SockState {
    /// Submits, cancels or leaves the request as the armed bits require.
    pub(super) fn update(&mut self, me: &StateRef) -> io::Result<()> {
        let Some(afd) = &self.afd else {
            // Deleted: nothing to watch any more.
            return Ok(());
        };
        match self.status {
            Status::Pending => {
                if self.armed & afd::KNOWN_EVENTS & !self.pending != 0 {
                    // The request in flight misses a wanted bit: cancel it; its completion
                    // resubmits with the current set.
                    // SAFETY: the request is in flight on `afd` and its packet not dequeued
                    // (it would have set the status to Idle under this lock).
                    unsafe { afd.cancel(self.io.iosb.get()) }?;
                    self.status = Status::Cancelled;
                }
                Ok(())
            }
            Status::Cancelled => Ok(()),
            Status::Idle => {
                if self.armed & afd::KNOWN_EVENTS == 0 {
                    return Ok(());
                }
                // SAFETY: no request is in flight (Idle), so nobody else touches the buffer.
                unsafe {
                    *self.io.info.get() = PollInfo {
                        timeout: i64::MAX,
                        number_of_handles: 1,
                        exclusive: 0,
                        handles: [afd::PollHandleInfo {
                            handle: self.base as HANDLE,
                            events: self.armed | afd::POLL_LOCAL_CLOSE,
                            status: 0,
                        }],
                    };
                }
                let context = Arc::into_raw(Arc::clone(me)) as *const c_void;
                // SAFETY: the buffers are boxed in the state, which the reference passed as
                // `context` keeps alive until the packet is dequeued; they are not touched
                // while the status is Pending or Cancelled.
                let result = unsafe { afd.poll(self.io.info.get(), self.io.iosb.get(), context) };
                match result {
                    Ok(()) => {
                        afd.in_flight.fetch_add(1, Ordering::Relaxed);
                        self.status = Status::Pending;
                        self.pending = self.armed;
                        Ok(())
                    }
                    Err(err) => {
                        // SAFETY: no packet will come, so the reference made above is ours.
                        drop(unsafe { Arc::from_raw(context as *const Mutex<SockState>) });
                        if err.raw_os_error() == Some(ERROR_INVALID_HANDLE as i32) {
                            // The socket is gone: nothing can be reported for it any more.
                            self.deleted = true;
                            return Ok(());
                        }
                        Err(err)
                    }
                }
            }
        }
    }

    /// Stops every report for this registration. The state is freed when its last packet
    /// (if any) has been dequeued. Returns the helper handle if the state no longer needs it
    /// (no request in flight), for the selector's `release_afd`.
    #[must_use]
    pub(super) fn mark_deleted(&mut self) -> Option<Arc<Afd>> {
        if !self.deleted {
            self.deleted = true;
            if let (Status::Pending, Some(afd)) = (self.status, &self.afd) {
                // SAFETY: the status is Pending, so the request was submitted on `afd` and its
                // packet has not been dequeued (dequeuing sets Idle under this same lock). A
                // failure only delays the packet, which is then dropped unread.
                let _ = unsafe { afd.cancel(self.io.iosb.get()) };
                self.status = Status::Cancelled;
            }
        }
        self.done_with_afd()
    }

    /// The helper handle, taken out of a deleted state that has no request in flight.
    pub(super) fn done_with_afd(&mut self) -> Option<Arc<Afd>> {
        if self.deleted && self.status == Status::Idle {
            self.afd.take()
        } else {
            None
        }
    }

    /// Reads the finished request and returns the event bits to report (0 for none).
    pub(super) fn complete(&mut self) -> u32 {
        if let Some(afd) = &self.afd {
            afd.in_flight.fetch_sub(1, Ordering::Relaxed);
        }
        self.status = Status::Idle;
        self.pending = 0;
        if self.deleted {
            return 0;
        }
        // SAFETY: the packet was dequeued, so the driver no longer writes the status block, and
        // `self` (borrowed mutably) is the only other user of it.
        let iosb = unsafe { &*self.io.iosb.get() };
        // SAFETY: the packet was dequeued, so the driver no longer writes the poll buffer, and
        // `self` (borrowed mutably) is the only other user of it.
        let info = unsafe { &*self.io.info.get() };
        // SAFETY: the union holds the status once the request finished.
        let status = unsafe { iosb.Anonymous.Status };
        let events = if status == STATUS_CANCELLED {
            0
        } else if status < 0 {
            afd::POLL_CONNECT_FAIL
        } else if info.number_of_handles < 1 {
            0
        } else if info.handles[0].events & afd::POLL_LOCAL_CLOSE != 0 {
            self.deleted = true;
            return 0;
        } else {
            info.handles[0].events
        };
        let events = events & self.armed;
        self.armed &= !events;
        events
    }
}
