//! `ChildExit` on Windows: a handle on the process (duplicated from a `Child`'s, or opened
//! from a process ID) with a one-shot registered wait, whose callback notifies the `Poll`
//! when the process object is signalled, that is when the process has exited.
//!
//! Windows has nothing to reap: the exit code stays readable as long as a handle on the
//! process is open (the caller's `Child`, and ours while the watch lives), and the process ID
//! is not reused before every handle is closed.

use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::process::Child;
use std::ptr;
use std::sync::Arc;

use windows_sys::Win32::Foundation::{DuplicateHandle, HANDLE, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, WaitForSingleObject, PROCESS_QUERY_LIMITED_INFORMATION,
    PROCESS_SYNCHRONIZE, WT_EXECUTEINWAITTHREAD, WT_EXECUTEONLYONCE,
};

use super::{Notifier, Wait, Watched};

/// The access the watch needs: waiting on the process, and (for the caller's benefit, and
/// Wine's) querying it.
const ACCESS: u32 = PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION;

#[derive(Debug)]
pub(crate) struct ChildExit {
    // Declared first, so dropped first: no callback runs after it, and the notifier (the
    // callback's context) and the process handle can go.
    _wait: Wait,
    notifier: Arc<Notifier>,
    process: OwnedHandle,
}

/// The wait callback; `context` is the watch's `Notifier`.
unsafe extern "system" fn on_exit(context: *mut c_void, _timed_out: bool) {
    // SAFETY: the context is the `Notifier` of a `ChildExit`, which keeps it alive until its
    // wait is unregistered, and that waits for this callback to return.
    let notifier = unsafe { &*(context as *const Notifier) };
    notifier.notify();
}

impl ChildExit {
    /// Watches `child`, through a handle of our own on it.
    pub(crate) fn from_child(child: &Child) -> io::Result<ChildExit> {
        let mut dup: HANDLE = ptr::null_mut();
        // SAFETY: no arguments; the pseudo-handle of this process needs no closing.
        let me = unsafe { GetCurrentProcess() };
        let source = child.as_raw_handle() as HANDLE;
        // SAFETY: `source` is the `Child`'s handle, open while the `Child` is borrowed; `dup`
        // is valid for a write; the new handle is ours.
        let ok = unsafe { DuplicateHandle(me, source, me, &mut dup, ACCESS, 0, 0) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `dup` is a new handle that nothing else owns.
        ChildExit::watch(unsafe { OwnedHandle::from_raw_handle(dup as RawHandle) })
    }

    /// Watches the process `pid` (not zero: the caller checks).
    pub(crate) fn from_pid(pid: u32) -> io::Result<ChildExit> {
        // SAFETY: plain values; returns a new handle or null.
        let raw = unsafe { OpenProcess(ACCESS, 0, pid) };
        if raw.is_null() {
            // ERROR_INVALID_PARAMETER when no process has that ID.
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a new handle that nothing else owns.
        ChildExit::watch(unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) })
    }

    fn watch(process: OwnedHandle) -> io::Result<ChildExit> {
        let notifier = Notifier::new();
        // SAFETY: the process handle and the context (`notifier`) are kept by the
        // `ChildExit` until after its wait is dropped (field order); `on_exit` never
        // unregisters the wait, and is short, so it runs on the wait thread.
        let wait = unsafe {
            Wait::new(
                process.as_raw_handle() as HANDLE,
                on_exit,
                Arc::as_ptr(&notifier) as *const c_void,
                WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD,
            )?
        };
        Ok(ChildExit {
            _wait: wait,
            notifier,
            process,
        })
    }

    /// `Ok(())` once the process has exited, `WouldBlock` before.
    pub(crate) fn check(&self) -> io::Result<()> {
        // SAFETY: the handle is open and has SYNCHRONIZE access; a zero timeout never blocks.
        match unsafe { WaitForSingleObject(self.process.as_raw_handle() as HANDLE, 0) } {
            WAIT_OBJECT_0 => Ok(()),
            WAIT_TIMEOUT => Err(io::ErrorKind::WouldBlock.into()),
            _ => Err(io::Error::last_os_error()),
        }
    }
}

impl Watched for ChildExit {
    fn notifier(&self) -> &Arc<Notifier> {
        &self.notifier
    }

    fn ready(&self) -> bool {
        self.check().is_ok()
    }
}
