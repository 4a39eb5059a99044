//! The I/O completion port every Windows selector waits on.
//!
//! Three kinds of packets arrive on it, told apart by their `OVERLAPPED` pointer (never by the
//! completion key alone, so a Waker's key can carry all bits of its token):
//!
//! - a null pointer: a [`Waker`](super::Waker) posted it, and the key is the Waker's token;
//! - [`WAKE_SENTINEL`]: an internal wake-up of the polling thread (no event of its own);
//! - anything else, with key [`KEY_AFD`]: an AFD poll finished, and the pointer is the
//!   registration state that submitted it;
//! - with key [`KEY_PIPE`] or [`KEY_SOURCE`]: a named pipe's operation, or a notification of a
//!   timer or child-exit source (`sources/`).

use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::ptr;

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE, WAIT_TIMEOUT};
use windows_sys::Win32::System::IO::{
    CreateIoCompletionPort, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus, OVERLAPPED,
    OVERLAPPED_ENTRY,
};

/// The completion key of the AFD helper handles.
pub(crate) const KEY_AFD: usize = 1;
/// The completion key of named pipes (their `OVERLAPPED` pointer is an operation of
/// `named_pipe.rs`).
pub(crate) const KEY_PIPE: usize = 2;
/// The completion key of the packets the sources of `sources/` post (their `OVERLAPPED`
/// pointer is a reference on the source's notifier).
pub(crate) const KEY_SOURCE: usize = 3;

/// The target of the `OVERLAPPED` pointer of an internal wake-up packet. Only its address is
/// used; the system never reads through it.
static WAKE_SENTINEL_TARGET: u8 = 0;

/// The `OVERLAPPED` pointer that marks an internal wake-up packet.
pub(crate) fn wake_sentinel() -> *mut OVERLAPPED {
    &WAKE_SENTINEL_TARGET as *const u8 as *mut OVERLAPPED
}

/// An owned completion port.
#[derive(Debug)]
pub(crate) struct CompletionPort {
    handle: OwnedHandle,
}

impl CompletionPort {
    /// Creates a port that lets one thread at a time run its completions.
    pub(crate) fn new() -> io::Result<CompletionPort> {
        // SAFETY: creating a new port: no existing handle is passed, every argument is a value.
        let raw = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 1) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a new handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) };
        Ok(CompletionPort { handle })
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }

    /// Makes the completions of `handle`'s overlapped operations arrive on this port with `key`.
    pub(crate) fn add_handle(&self, handle: HANDLE, key: usize) -> io::Result<()> {
        // SAFETY: both handles are open (the caller owns `handle`, we own the port); the call
        // only associates them.
        let ret = unsafe { CreateIoCompletionPort(handle, self.raw(), key, 0) };
        if ret.is_null() {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Queues a packet carrying `key` and `overlapped`, which the system does not dereference.
    pub(crate) fn post(&self, key: usize, overlapped: *mut OVERLAPPED) -> io::Result<()> {
        // SAFETY: the port is open; the pointer is only carried to the dequeuing thread.
        let ok = unsafe { PostQueuedCompletionStatus(self.raw(), 0, key, overlapped) };
        if ok == 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Dequeues up to `entries.len()` packets, waiting up to `timeout_ms` (never `INFINITE`
    /// unless asked) for the first. A timeout returns an empty slice.
    pub(crate) fn get_many<'a>(
        &self,
        entries: &'a mut [OVERLAPPED_ENTRY],
        timeout_ms: u32,
    ) -> io::Result<&'a [OVERLAPPED_ENTRY]> {
        let len = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let mut removed = 0u32;
        // SAFETY: `entries` is valid for `len` writes, `removed` for one; not alertable.
        let ok = unsafe {
            GetQueuedCompletionStatusEx(
                self.raw(),
                entries.as_mut_ptr(),
                len,
                &mut removed,
                timeout_ms,
                0,
            )
        };
        if ok == 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(WAIT_TIMEOUT as i32) {
                return Ok(&entries[..0]);
            }
            return Err(err);
        }
        Ok(&entries[..(removed as usize).min(entries.len())])
    }
}
