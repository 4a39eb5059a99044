//! The AFD helper: a handle on the Winsock kernel driver (`\Device\Afd`) through which one
//! overlapped `IOCTL_AFD_POLL` per socket asks for readiness, the way wepoll, mio and polling
//! do. The request completes on the selector's completion port once the socket shows any of
//! the requested events; it is one-shot and must be submitted again for the next ones.
//!
//! The driver interface is undocumented: the event bits, the control code and the layout of
//! the request are the ones those libraries use.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::io;
use std::mem;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle, RawSocket};
use std::ptr;
use std::sync::atomic::AtomicUsize;

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{NtCancelIoFileEx, NtCreateFile, FILE_OPEN};
use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{
    RtlNtStatusToDosError, ERROR_INVALID_HANDLE, HANDLE, NTSTATUS, STATUS_CANCELLED,
    STATUS_NOT_FOUND, STATUS_PENDING, STATUS_SUCCESS, UNICODE_STRING,
};
use windows_sys::Win32::Networking::WinSock::{
    WSAGetLastError, WSAIoctl, INVALID_SOCKET, SIO_BASE_HANDLE, SIO_BSP_HANDLE,
    SIO_BSP_HANDLE_POLL, SIO_BSP_HANDLE_SELECT, SOCKET, SOCKET_ERROR,
};
use windows_sys::Win32::Storage::FileSystem::{
    SetFileCompletionNotificationModes, FILE_SHARE_READ, FILE_SHARE_WRITE, SYNCHRONIZE,
};
use windows_sys::Win32::System::WindowsProgramming::FILE_SKIP_SET_EVENT_ON_HANDLE;
use windows_sys::Win32::System::IO::{IO_STATUS_BLOCK, IO_STATUS_BLOCK_0};

use super::iocp::{CompletionPort, KEY_AFD};
use super::sock_state::{Driver, Outcome};
use crate::sys::failpoints::failpoint;

/// Data can be received (or a zero-length read would tell of an orderly shutdown).
pub(crate) const POLL_RECEIVE: u32 = 0x0001;
/// Out-of-band data is waiting.
pub(crate) const POLL_RECEIVE_EXPEDITED: u32 = 0x0002;
/// A send would not block.
pub(crate) const POLL_SEND: u32 = 0x0004;
/// The peer shut its sending side down.
pub(crate) const POLL_DISCONNECT: u32 = 0x0008;
/// The connection was reset or aborted.
pub(crate) const POLL_ABORT: u32 = 0x0010;
/// The socket was closed locally.
pub(crate) const POLL_LOCAL_CLOSE: u32 = 0x0020;
/// A connection is waiting to be accepted.
pub(crate) const POLL_ACCEPT: u32 = 0x0080;
/// A connect failed.
pub(crate) const POLL_CONNECT_FAIL: u32 = 0x0100;

/// The bits a readable interest asks for.
pub(crate) const READABLE_FLAGS: u32 =
    POLL_RECEIVE | POLL_DISCONNECT | POLL_ACCEPT | POLL_ABORT | POLL_CONNECT_FAIL;
/// The bits a writable interest asks for.
pub(crate) const WRITABLE_FLAGS: u32 = POLL_SEND | POLL_ABORT | POLL_CONNECT_FAIL;
/// The bits that mean the read side is finished.
pub(crate) const READ_CLOSED_FLAGS: u32 = POLL_DISCONNECT | POLL_ABORT | POLL_CONNECT_FAIL;
/// The bits that mean the write side is finished.
pub(crate) const WRITE_CLOSED_FLAGS: u32 = POLL_ABORT | POLL_CONNECT_FAIL;
/// Every event bit a user interest can arm.
pub(crate) const KNOWN_EVENTS: u32 = READABLE_FLAGS | WRITABLE_FLAGS | POLL_RECEIVE_EXPEDITED;

/// `IOCTL_AFD_POLL`.
const IOCTL_AFD_POLL: u32 = 0x0001_2024;

/// One socket of a poll request.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct PollHandleInfo {
    pub(crate) handle: HANDLE,
    pub(crate) events: u32,
    pub(crate) status: NTSTATUS,
}

/// A poll request for one socket; the driver writes the result into the same buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct PollInfo {
    pub(crate) timeout: i64,
    pub(crate) number_of_handles: u32,
    pub(crate) exclusive: u32,
    pub(crate) handles: [PollHandleInfo; 1],
}

impl PollInfo {
    pub(crate) const fn empty() -> PollInfo {
        PollInfo {
            timeout: 0,
            number_of_handles: 0,
            exclusive: 0,
            handles: [PollHandleInfo {
                handle: ptr::null_mut(),
                events: 0,
                status: 0,
            }],
        }
    }
}

/// Converts an NTSTATUS to the Win32 error `io::Error` carries.
fn nt_error(status: NTSTATUS) -> io::Error {
    // SAFETY: a pure conversion of a status code.
    let code = unsafe { RtlNtStatusToDosError(status) };
    io::Error::from_raw_os_error(code as i32)
}

/// A handle on the AFD driver, associated with a selector's completion port.
#[derive(Debug)]
pub(crate) struct Afd {
    handle: OwnedHandle,
    /// Requests submitted on this handle whose packet has not been dequeued yet.
    pub(crate) in_flight: AtomicUsize,
}

impl Afd {
    /// Opens a new helper handle and routes its completions to `port`.
    pub(crate) fn new(port: &CompletionPort) -> io::Result<Afd> {
        // Any name below \Device\Afd opens the driver; the suffix only names the user.
        let mut name: Vec<u16> = "\\Device\\Afd\\Ferrio".encode_utf16().collect();
        let bytes = (name.len() * 2) as u16;
        let unicode = UNICODE_STRING {
            Length: bytes,
            MaximumLength: bytes,
            Buffer: name.as_mut_ptr(),
        };
        let attributes = OBJECT_ATTRIBUTES {
            Length: mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: ptr::null_mut(),
            ObjectName: &unicode,
            Attributes: 0,
            SecurityDescriptor: ptr::null(),
            SecurityQualityOfService: ptr::null(),
        };
        let mut raw: HANDLE = ptr::null_mut();
        let mut iosb = IO_STATUS_BLOCK::default();
        // SAFETY: every pointer refers to a live local (`unicode` borrows `name`, both outlive
        // the call); the call opens a new handle and writes it to `raw`.
        let status = unsafe {
            NtCreateFile(
                &mut raw,
                SYNCHRONIZE,
                &attributes,
                &mut iosb,
                ptr::null(),
                0,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_OPEN,
                0,
                ptr::null(),
                0,
            )
        };
        if status != STATUS_SUCCESS {
            return Err(nt_error(status));
        }
        // SAFETY: `raw` is a new handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) };
        port.add_handle(raw, KEY_AFD)?;
        // SAFETY: `raw` is open (owned by `handle`); only a mode flag is set.
        let ok =
            unsafe { SetFileCompletionNotificationModes(raw, FILE_SKIP_SET_EVENT_ON_HANDLE as u8) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Afd {
            handle,
            in_flight: AtomicUsize::new(0),
        })
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }

    /// Submits a poll request. `Ok` means a completion packet carrying `context` will arrive
    /// on the port (at once or later); an error means none will.
    ///
    /// # Safety
    ///
    /// `info` and `iosb` must stay valid and unmoved, and not be read or written by anyone
    /// else, until that packet has been dequeued.
    pub(crate) unsafe fn poll(
        &self,
        info: *mut PollInfo,
        iosb: *mut IO_STATUS_BLOCK,
        context: *const c_void,
    ) -> io::Result<()> {
        // The failpoint is keyed by the base socket polled.
        failpoint!(
            "afd_poll",
            // SAFETY: the caller promises that `info` points to a live `PollInfo` that nobody
            // else reads or writes until the packet is dequeued; none is pending yet, so
            // reading it here races with nothing.
            unsafe { (*info).handles[0].handle }
        );
        // SAFETY: the caller promises that `iosb` is valid and used by no one else until the
        // packet is dequeued; the request is not submitted yet, so the driver does not touch it.
        unsafe {
            iosb.write(IO_STATUS_BLOCK {
                Anonymous: IO_STATUS_BLOCK_0 {
                    Status: STATUS_PENDING,
                },
                Information: 0,
            })
        };
        let size = mem::size_of::<PollInfo>() as u32;
        // SAFETY: `info` (of `size` bytes, input and output) and `iosb` stay valid and unmoved
        // until the completion packet is dequeued, as the caller promises; the event and APC
        // routine are absent, and `context` is only carried to the packet, never dereferenced.
        let status = unsafe {
            NtDeviceIoControlFile(
                self.raw(),
                ptr::null_mut(),
                None,
                context,
                iosb,
                IOCTL_AFD_POLL,
                info as *const c_void,
                size,
                info as *mut c_void,
                size,
            )
        };
        if status == STATUS_SUCCESS || status == STATUS_PENDING {
            Ok(())
        } else {
            Err(nt_error(status))
        }
    }

    /// Asks the driver to finish the request that owns `iosb` early (it then completes with
    /// `STATUS_CANCELLED`, or normally if it was already finishing).
    ///
    /// # Safety
    ///
    /// `iosb` must be the status block of a request submitted on this handle whose packet has
    /// not been dequeued yet.
    pub(crate) unsafe fn cancel(&self, iosb: *mut IO_STATUS_BLOCK) -> io::Result<()> {
        // SAFETY: the caller promises that `iosb` belongs to a request whose packet has not
        // been dequeued, so it points to a live status block. The driver may be finishing the
        // request: the copy is read volatile, and any value it holds is handled below.
        let block = unsafe { iosb.read_volatile() };
        // SAFETY: both variants of the union are plain integers of the same size (a status or
        // a pointer-sized value), so every bit pattern is a valid `NTSTATUS`.
        let pending = unsafe { block.Anonymous.Status } == STATUS_PENDING;
        if !pending {
            return Ok(());
        }
        let mut cancel_iosb = IO_STATUS_BLOCK::default();
        // SAFETY: `iosb` identifies a request on this handle that is still owned by the driver
        // (the caller's promise), and `cancel_iosb` is a live local for the call to write
        // (cancelling is synchronous: nothing is written into it after the call returns).
        let status = unsafe { NtCancelIoFileEx(self.raw(), iosb, &mut cancel_iosb) };
        if status == STATUS_SUCCESS || status == STATUS_NOT_FOUND {
            Ok(())
        } else {
            Err(nt_error(status))
        }
    }
}

fn base_socket_ioctl(socket: RawSocket, control: u32) -> io::Result<RawSocket> {
    let mut base: SOCKET = INVALID_SOCKET;
    let mut bytes = 0u32;
    // SAFETY: the output buffer is `base`, of the size given; no overlapped, no routine.
    let ret = unsafe {
        WSAIoctl(
            socket as SOCKET,
            control,
            ptr::null(),
            0,
            &mut base as *mut SOCKET as *mut c_void,
            mem::size_of::<SOCKET>() as u32,
            &mut bytes,
            ptr::null_mut(),
            None,
        )
    };
    if ret == SOCKET_ERROR {
        // SAFETY: reads this thread's last Winsock error.
        return Err(io::Error::from_raw_os_error(unsafe { WSAGetLastError() }));
    }
    if base == INVALID_SOCKET {
        return Err(io::Error::from_raw_os_error(
            windows_sys::Win32::Networking::WinSock::WSAENOTSOCK,
        ));
    }
    Ok(base as RawSocket)
}

/// The socket of the base service provider under `socket`, which is what AFD polls: layered
/// providers (LSPs) hand out sockets of their own. `SIO_BASE_HANDLE` answers unless an LSP
/// breaks it; then the `SIO_BSP_HANDLE*` requests are tried, and only an answer that differs
/// from `socket` is believed.
pub(crate) fn base_socket(socket: RawSocket) -> io::Result<RawSocket> {
    let err = match base_socket_ioctl(socket, SIO_BASE_HANDLE) {
        Ok(base) => return Ok(base),
        Err(err) => err,
    };
    for control in [SIO_BSP_HANDLE_SELECT, SIO_BSP_HANDLE_POLL, SIO_BSP_HANDLE] {
        if let Ok(base) = base_socket_ioctl(socket, control) {
            if base != socket {
                return Ok(base);
            }
        }
    }
    Err(err)
}

/// The buffers the driver writes while a request is in flight.
pub(crate) struct Io {
    iosb: UnsafeCell<IO_STATUS_BLOCK>,
    info: UnsafeCell<PollInfo>,
}

// SAFETY: the only raw pointer in `Io` is the socket handle in the poll buffer, a plain value
// that the driver reads and this process never dereferences.
unsafe impl Driver for Afd {
    type Io = Io;
    const KNOWN_EVENTS: u32 = KNOWN_EVENTS;

    fn new_io() -> Box<Io> {
        Box::new(Io {
            iosb: UnsafeCell::new(IO_STATUS_BLOCK::default()),
            info: UnsafeCell::new(PollInfo::empty()),
        })
    }

    unsafe fn submit(
        &self,
        io: &Io,
        socket: u64,
        events: u32,
        context: *const c_void,
    ) -> io::Result<()> {
        // SAFETY: no request is in flight on `io` (the caller's promise), so nobody else
        // touches the buffer.
        unsafe {
            *io.info.get() = PollInfo {
                timeout: i64::MAX,
                number_of_handles: 1,
                exclusive: 0,
                handles: [PollHandleInfo {
                    handle: socket as HANDLE,
                    events: events | POLL_LOCAL_CLOSE,
                    status: 0,
                }],
            };
        }
        // SAFETY: the buffers stay valid, unmoved and untouched until the packet is dequeued
        // (the caller's promise).
        unsafe { self.poll(io.info.get(), io.iosb.get(), context) }
    }

    unsafe fn cancel(&self, io: &Io) -> io::Result<()> {
        // SAFETY: `io` belongs to a request in flight on this handle (the caller's promise).
        unsafe { Afd::cancel(self, io.iosb.get()) }
    }

    unsafe fn outcome(io: &Io) -> Outcome {
        // SAFETY: the packet was dequeued (the caller's promise), so the driver no longer
        // writes the status block, and the caller holds the state that owns it.
        let iosb = unsafe { &*io.iosb.get() };
        // SAFETY: as for the status block: the driver is done with the poll buffer.
        let info = unsafe { &*io.info.get() };
        // SAFETY: the union holds the status once the request finished.
        let status = unsafe { iosb.Anonymous.Status };
        Outcome::Events(if status == STATUS_CANCELLED {
            0
        } else if status < 0 {
            POLL_CONNECT_FAIL
        } else if info.number_of_handles < 1 {
            0
        } else if info.handles[0].events & POLL_LOCAL_CLOSE != 0 {
            return Outcome::Closed;
        } else {
            info.handles[0].events
        })
    }

    fn in_flight(&self) -> &AtomicUsize {
        &self.in_flight
    }

    fn socket_gone(err: &io::Error) -> bool {
        err.raw_os_error() == Some(ERROR_INVALID_HANDLE as i32)
    }
}
