//! `ferrio::windows::NamedPipe`: readiness events for a named pipe, built on overlapped I/O.
//!
//! A pipe has no readiness the way a socket has, so the pipe keeps one read and one write in
//! flight on its own, with buffers of its own, and turns their completions into events:
//!
//! - while registered, a read into an internal 4 KiB buffer is always in flight; its completion
//!   is a readable event, and `read` then copies out of that buffer (and starts the next read
//!   once it is empty);
//! - `write` copies the data into a buffer and starts an overlapped write, returning at once
//!   with the whole length; until that write completes (a writable event) further writes
//!   return `WouldBlock`;
//! - `connect` starts an overlapped `ConnectNamedPipe`; its completion is a writable event.
//!
//! Every operation in flight owns a heap block (`Op`) whose first field is its `OVERLAPPED`
//! (so each read, write, connect and queued event allocates one, and reads and writes their
//! buffer too);
//! the block also holds a reference on the pipe. The block is handed to the system and comes
//! back exactly once in a completion packet (key `KEY_PIPE`), or at once when the call failed
//! without queuing one, so nothing is freed while the system may still write to it.
//!
//! Events carry the token only while the pipe is registered, checked under the pipe's lock
//! when the packet is dequeued: no poll that starts after `deregister` reports the pipe.

use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read, Write};
use std::mem;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard};

use windows_sys::Win32::Foundation::{
    RtlNtStatusToDosError, ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_PIPE_CONNECTED,
    ERROR_PIPE_LISTENING, HANDLE, INVALID_HANDLE_VALUE, NTSTATUS, STATUS_CANCELLED,
};
use windows_sys::Win32::Storage::FileSystem::{
    ReadFile, WriteFile, FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, PIPE_ACCESS_DUPLEX,
};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, DisconnectNamedPipe, PIPE_TYPE_BYTE,
    PIPE_UNLIMITED_INSTANCES,
};
use windows_sys::Win32::System::IO::{CancelIoEx, OVERLAPPED, OVERLAPPED_ENTRY};

use super::afd;
use super::iocp::{CompletionPort, KEY_PIPE};
use super::Event;
use crate::event::Source;
use crate::sys::{
    already_registered, bound_to_another_poll, not_registered, registered_with_another_poll,
};
use crate::{Interest, Registry, Token};

/// The size of the internal read buffer.
const READ_BUFFER: usize = 4 * 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A named pipe that can be registered with a [`Poll`](crate::Poll) (Windows, feature
/// `os-ext`).
///
/// Make the server end with [`NamedPipe::new`] and wait for a client with
/// [`connect`](NamedPipe::connect); a registered server end reports nothing before a client
/// has connected, and then a writable event. Make a client end by opening the pipe's name with
/// `std::fs::OpenOptions` and `FILE_FLAG_OVERLAPPED` (through
/// `std::os::windows::fs::OpenOptionsExt::custom_flags`), then
/// [`from_raw_handle`](FromRawHandle::from_raw_handle).
///
/// Reads and writes go through internal buffers: `read` returns data that a read already in
/// flight has received, `write` copies the data and returns its whole length while the system
/// sends it. Both return [`io::ErrorKind::WouldBlock`] when they would wait, and **always**
/// while the pipe is not registered. Interests are ignored: a registered pipe reports both
/// directions. A read after the other end closed its handle returns `Ok(0)`; after the server
/// [`disconnect`](NamedPipe::disconnect)s, the client's read fails with
/// `ERROR_PIPE_NOT_CONNECTED`, and a write to a disconnected pipe returns the system's error
/// (`ERROR_NO_DATA` or `ERROR_PIPE_NOT_CONNECTED`). None of these waits.
///
/// A pipe's handle can be attached to one poller only, ever: after `deregister` it may be
/// registered again with the same `Poll`, not with another one.
pub struct NamedPipe {
    inner: Arc<Inner>,
}

struct Inner {
    handle: OwnedHandle,
    io: Mutex<Io>,
}

enum ReadState {
    Idle,
    Pending,
    Data(Vec<u8>, usize),
    Err(io::Error),
}

enum WriteState {
    Idle,
    Pending,
    Err(io::Error),
}

struct Io {
    /// The port the handle is attached to, once it has been registered.
    port: Option<Arc<CompletionPort>>,
    /// The token, while registered.
    token: Option<Token>,
    read: ReadState,
    write: WriteState,
    connecting: bool,
    /// A read found the server end waiting for a client (`ERROR_PIPE_LISTENING`): nothing can
    /// be read or written, so registering reports nothing until a client connects.
    listening: bool,
    connect_error: Option<io::Error>,
}

enum OpKind {
    Connect,
    Read(Vec<u8>),
    Write(Vec<u8>),
    /// No I/O: an event to deliver through the port, with these AFD event bits.
    Notify(u32),
}

/// One operation handed to the system. `overlapped` comes first, so the `OVERLAPPED` pointer
/// of the packet is the address of the `Op`.
#[repr(C)]
struct Op {
    overlapped: OVERLAPPED,
    pipe: Arc<Inner>,
    kind: OpKind,
}

fn new_op(pipe: &Arc<Inner>, kind: OpKind) -> *mut Op {
    Box::into_raw(Box::new(Op {
        overlapped: OVERLAPPED::default(),
        pipe: Arc::clone(pipe),
        kind,
    }))
}

/// Runs an overlapped call on `op`. `Ok` means a packet will bring the `Op` back; on an error
/// no packet comes and the `Op` is freed here.
fn start(op: *mut Op, call: impl FnOnce(*mut OVERLAPPED) -> i32) -> io::Result<()> {
    // SAFETY: `op` is a live `Op` from `new_op`; `overlapped` is its first field.
    let ok = call(unsafe { ptr::addr_of_mut!((*op).overlapped) });
    if ok != 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(ERROR_IO_PENDING as i32) {
        return Ok(());
    }
    // SAFETY: the call failed without queuing a packet, so the system holds no pointer to the
    // `Op`: it is ours again, and freed here only (the caller never sees it).
    drop(unsafe { Box::from_raw(op) });
    Err(err)
}

fn is_broken_pipe(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ERROR_BROKEN_PIPE as i32)
}

impl Inner {
    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }
}

/// Queues an event with the AFD event bits `flags` (`POLL_RECEIVE`, `POLL_SEND`) for the pipe
/// through the port (from a thread that is not polling).
fn notify(pipe: &Arc<Inner>, io: &Io, flags: u32) {
    let Some(port) = &io.port else { return };
    let op = new_op(pipe, OpKind::Notify(flags));
    if port.post(KEY_PIPE, op as *mut OVERLAPPED).is_err() {
        // SAFETY: the packet was not queued; the `Op` is ours again.
        drop(unsafe { Box::from_raw(op) });
    }
}

/// Starts a read into a fresh buffer if none is in flight and the pipe is registered.
fn schedule_read(pipe: &Arc<Inner>, io: &mut Io) {
    if !matches!(io.read, ReadState::Idle) || io.token.is_none() {
        return;
    }
    let mut buf = vec![0u8; READ_BUFFER];
    let (data, len) = (buf.as_mut_ptr(), buf.len() as u32);
    // The Vec's heap block does not move when the Vec moves into the `Op`.
    let op = new_op(pipe, OpKind::Read(buf));
    let handle = pipe.raw();
    // SAFETY: `data` is writable for `len` bytes and lives in the `Op` until its packet.
    let result = start(op, |ov| unsafe {
        ReadFile(handle, data, len, ptr::null_mut(), ov)
    });
    match result {
        Ok(()) => {
            io.read = ReadState::Pending;
            io.listening = false;
        }
        // Not connected yet: the read starts when the connect completes.
        Err(e) if e.raw_os_error() == Some(ERROR_PIPE_LISTENING as i32) => io.listening = true,
        Err(e) => {
            io.read = ReadState::Err(e);
            notify(pipe, io, afd::POLL_RECEIVE);
        }
    }
}

/// Handles a dequeued packet with key `KEY_PIPE`, pushing at most one event.
pub(crate) fn complete(entry: &OVERLAPPED_ENTRY, events: &mut Vec<Event>) {
    // SAFETY: packets with key KEY_PIPE carry an `Op` made by `new_op` and given to the system
    // (or to `post`) exactly once.
    let op = unsafe { Box::from_raw(entry.lpOverlapped as *mut Op) };
    let Op {
        overlapped,
        pipe,
        kind,
    } = *op;
    let status = overlapped.Internal as NTSTATUS;
    let result = if status >= 0 {
        Ok(entry.dwNumberOfBytesTransferred as usize)
    } else {
        // SAFETY: a pure conversion of a status code.
        Err(io::Error::from_raw_os_error(
            unsafe { RtlNtStatusToDosError(status) } as i32,
        ))
    };
    let mut io = lock(&pipe.io);
    let mut flags = 0;
    match kind {
        OpKind::Notify(bits) => flags |= bits,
        OpKind::Connect => {
            io.connecting = false;
            io.listening = false;
            flags |= afd::POLL_SEND;
            match result {
                Ok(_) => schedule_read(&pipe, &mut io),
                Err(e) => {
                    io.connect_error = Some(e);
                    flags |= afd::POLL_CONNECT_FAIL;
                }
            }
        }
        OpKind::Read(mut buf) => {
            io.read = ReadState::Idle;
            match result {
                Ok(0) => schedule_read(&pipe, &mut io),
                Ok(n) => {
                    buf.truncate(n);
                    io.read = ReadState::Data(buf, 0);
                    flags |= afd::POLL_RECEIVE;
                }
                Err(_) if status == STATUS_CANCELLED => {}
                Err(e) => {
                    flags |= afd::POLL_RECEIVE;
                    if is_broken_pipe(&e) {
                        flags |= afd::POLL_DISCONNECT;
                    }
                    io.read = ReadState::Err(e);
                }
            }
        }
        OpKind::Write(buf) => {
            io.write = WriteState::Idle;
            match result {
                Ok(n) if n < buf.len() => {
                    // Rare for pipes: send the rest before reporting writability.
                    let rest = buf[n..].to_vec();
                    match start_write(&pipe, &mut io, rest) {
                        Ok(_) => return,
                        Err(e) => io.write = WriteState::Err(e),
                    }
                    flags |= afd::POLL_SEND;
                }
                Ok(_) => flags |= afd::POLL_SEND,
                Err(_) if status == STATUS_CANCELLED => {}
                Err(e) => {
                    io.write = WriteState::Err(e);
                    flags |= afd::POLL_SEND;
                }
            }
        }
    }
    if let (Some(token), true) = (io.token, flags != 0) {
        events.push(Event::new(token, flags));
    }
}

/// Frees the `Op` of a packet that will not be handled (the selector is closing).
pub(crate) fn release(entry: &OVERLAPPED_ENTRY) {
    // SAFETY: the selector passes only packets with key KEY_PIPE here, and those carry an
    // `Op` made by `new_op` and given to the system (or to `post`) exactly once; the packet was
    // dequeued, so the system no longer uses it.
    drop(unsafe { Box::from_raw(entry.lpOverlapped as *mut Op) });
}

/// Starts an overlapped write of `data`; sets the write state to `Pending` on success.
fn start_write(pipe: &Arc<Inner>, io: &mut Io, data: Vec<u8>) -> io::Result<usize> {
    let len = data.len().min(u32::MAX as usize);
    let ptr_data = data.as_ptr();
    let op = new_op(pipe, OpKind::Write(data));
    let handle = pipe.raw();
    // SAFETY: `ptr_data` is readable for `len` bytes and lives in the `Op` until its packet.
    start(op, |ov| unsafe {
        WriteFile(handle, ptr_data, len as u32, ptr::null_mut(), ov)
    })?;
    io.write = WriteState::Pending;
    Ok(len)
}

impl NamedPipe {
    /// Creates the server end of a new named pipe called `addr` (for example
    /// `\\.\pipe\my-app`): overlapped, byte mode, duplex, with 64 KiB buffers, failing if a
    /// pipe of that name exists (`FILE_FLAG_FIRST_PIPE_INSTANCE`).
    pub fn new<A: AsRef<OsStr>>(addr: A) -> io::Result<NamedPipe> {
        let name: Vec<u16> = addr
            .as_ref()
            .encode_wide()
            .chain(std::iter::once(0))
            .collect();
        // SAFETY: `name` is NUL-terminated; no security attributes are passed.
        let handle = unsafe {
            CreateNamedPipeW(
                name.as_ptr(),
                PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE | FILE_FLAG_OVERLAPPED,
                PIPE_TYPE_BYTE,
                PIPE_UNLIMITED_INSTANCES,
                65_536,
                65_536,
                0,
                ptr::null(),
            )
        };
        if handle == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a new handle that nothing else owns.
        Ok(unsafe { NamedPipe::from_raw_handle(handle as RawHandle) })
    }

    /// Waits for a client to connect to this server end. `Ok(())` means a client is
    /// connected; [`WouldBlock`](io::ErrorKind::WouldBlock) means the wait is in flight (or
    /// the pipe is not registered): a writable event follows when it ends, then call
    /// [`take_error`](NamedPipe::take_error) to learn whether it failed.
    pub fn connect(&self) -> io::Result<()> {
        let mut io = lock(&self.inner.io);
        if io.connecting || io.token.is_none() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let op = new_op(&self.inner, OpKind::Connect);
        let handle = self.inner.raw();
        // SAFETY: the `Op` lives until its packet.
        match start(op, |ov| unsafe { ConnectNamedPipe(handle, ov) }) {
            Ok(()) => {
                io.connecting = true;
                Err(io::ErrorKind::WouldBlock.into())
            }
            Err(e) if e.raw_os_error() == Some(ERROR_PIPE_CONNECTED as i32) => {
                // A client was already there: the pipe is connected now, which is reported as
                // a registration would (a read, and a writable event).
                io.listening = false;
                self.start_registered(&mut io);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Returns (and clears) the error of the last `connect` that failed, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        Ok(lock(&self.inner.io).connect_error.take())
    }

    /// Disconnects the server end from its client (`DisconnectNamedPipe`); the client's
    /// reads then return end-of-file and its writes fail.
    pub fn disconnect(&self) -> io::Result<()> {
        // SAFETY: the handle is open.
        if unsafe { DisconnectNamedPipe(self.inner.raw()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn read_into(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut io = lock(&self.inner.io);
        match mem::replace(&mut io.read, ReadState::Idle) {
            ReadState::Data(data, pos) => {
                let n = buf.len().min(data.len() - pos);
                buf[..n].copy_from_slice(&data[pos..pos + n]);
                if pos + n < data.len() {
                    io.read = ReadState::Data(data, pos + n);
                } else {
                    schedule_read(&self.inner, &mut io);
                }
                Ok(n)
            }
            ReadState::Pending => {
                io.read = ReadState::Pending;
                Err(io::ErrorKind::WouldBlock.into())
            }
            ReadState::Err(e) if is_broken_pipe(&e) => {
                // End of file, for good: keep saying so.
                io.read = ReadState::Err(e);
                Ok(0)
            }
            ReadState::Err(e) => {
                schedule_read(&self.inner, &mut io);
                Err(e)
            }
            ReadState::Idle => {
                schedule_read(&self.inner, &mut io);
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
    }

    fn write_from(&self, buf: &[u8]) -> io::Result<usize> {
        let mut io = lock(&self.inner.io);
        match mem::replace(&mut io.write, WriteState::Idle) {
            WriteState::Pending => {
                io.write = WriteState::Pending;
                Err(io::ErrorKind::WouldBlock.into())
            }
            WriteState::Err(e) => Err(e),
            WriteState::Idle if io.token.is_none() => Err(io::ErrorKind::WouldBlock.into()),
            WriteState::Idle => start_write(&self.inner, &mut io, buf.to_vec()),
        }
    }

    /// Starts what a new registration needs: a read (or a readable event for data or an
    /// error that arrived while the pipe was not registered), and a writable event if a write
    /// could start now. A server end still waiting for its client gets nothing: its
    /// `connect`'s completion is the first event.
    fn start_registered(&self, io: &mut Io) {
        schedule_read(&self.inner, io);
        let mut flags = 0;
        if matches!(io.read, ReadState::Data(..) | ReadState::Err(_)) {
            flags |= afd::POLL_RECEIVE;
        }
        if matches!(io.write, WriteState::Idle | WriteState::Err(_))
            && !io.listening
            && !io.connecting
        {
            flags |= afd::POLL_SEND;
        }
        if flags != 0 {
            notify(&self.inner, io, flags);
        }
    }
}

impl FromRawHandle for NamedPipe {
    /// Adopts a pipe handle opened for overlapped I/O (`FILE_FLAG_OVERLAPPED`).
    ///
    /// # Safety
    ///
    /// `handle` must be an open, overlapped named pipe handle that the caller owns and hands
    /// over; nothing else may close it.
    unsafe fn from_raw_handle(handle: RawHandle) -> NamedPipe {
        NamedPipe {
            inner: Arc::new(Inner {
                // SAFETY: the caller hands over ownership of an open handle.
                handle: unsafe { OwnedHandle::from_raw_handle(handle) },
                io: Mutex::new(Io {
                    port: None,
                    token: None,
                    read: ReadState::Idle,
                    write: WriteState::Idle,
                    connecting: false,
                    listening: false,
                    connect_error: None,
                }),
            }),
        }
    }
}

impl AsRawHandle for NamedPipe {
    fn as_raw_handle(&self) -> RawHandle {
        self.inner.handle.as_raw_handle()
    }
}

impl Read for NamedPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_into(buf)
    }
}

impl Read for &NamedPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_into(buf)
    }
}

impl Write for NamedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_from(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &NamedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_from(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for NamedPipe {
    fn register(&mut self, registry: &Registry, token: Token, _: Interest) -> io::Result<()> {
        let port = registry.selector().shared_port();
        let mut io = lock(&self.inner.io);
        if io.token.is_some() {
            return Err(already_registered(None));
        }
        match &io.port {
            Some(p) if !Arc::ptr_eq(p, &port) => return Err(bound_to_another_poll()),
            Some(_) => {}
            None => {
                port.add_handle(self.inner.raw(), KEY_PIPE)?;
                io.port = Some(port);
            }
        }
        io.token = Some(token);
        self.start_registered(&mut io);
        Ok(())
    }

    fn reregister(&mut self, registry: &Registry, token: Token, _: Interest) -> io::Result<()> {
        let port = registry.selector().shared_port();
        let mut io = lock(&self.inner.io);
        check_registered(&io, &port)?;
        io.token = Some(token);
        self.start_registered(&mut io);
        Ok(())
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        let port = registry.selector().shared_port();
        let mut io = lock(&self.inner.io);
        check_registered(&io, &port)?;
        io.token = None;
        Ok(())
    }
}

/// `Ok` if the pipe is registered with the poller of `port`; `AlreadyExists` if it is
/// registered with another one (as mio answers), `NotFound` if it is not registered.
fn check_registered(io: &Io, port: &Arc<CompletionPort>) -> io::Result<()> {
    match (&io.port, io.token) {
        (Some(p), Some(_)) if Arc::ptr_eq(p, port) => Ok(()),
        (Some(_), Some(_)) => Err(registered_with_another_poll()),
        _ => Err(not_registered(None)),
    }
}

impl Drop for NamedPipe {
    fn drop(&mut self) {
        // No more events, then cancel what is in flight so that the operations come back
        // (and with them the last references on the handle).
        lock(&self.inner.io).token = None;
        // SAFETY: the handle is open; a null OVERLAPPED cancels every operation on it.
        let _ = unsafe { CancelIoEx(self.inner.raw(), ptr::null()) };
    }
}

impl fmt::Debug for NamedPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedPipe")
            .field("handle", &self.inner.handle.as_raw_handle())
            .finish()
    }
}
