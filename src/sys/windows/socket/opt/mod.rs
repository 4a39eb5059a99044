//! Socket options on Windows: typed `getsockopt`/`setsockopt`, the socket-level options
//! (pending error, address reuse), and one file per topic as on Unix: `ip.rs`, `ipv6.rs`,
//! `tcp.rs`, `udp.rs` (broadcast and multicast), `buffers.rs` (buffer sizes and linger).
//! Out-of-range values are clamped (see `sys/socket_api.rs`).

use std::io;
use std::mem;
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock::{self as ws, self as c};

use super::{cvt, raw};
use crate::sys::socket_api::Family;

mod buffers;
mod ip;
mod ipv6;
mod tcp;
mod udp;

pub(crate) use self::buffers::*;
pub(crate) use self::ip::*;
pub(crate) use self::ipv6::*;
pub(crate) use self::tcp::*;
pub(crate) use self::udp::*;

/// The C type of boolean options (a `DWORD`; a few options write a one-byte `BOOL`, which
/// reads correctly as `getsockopt` starts from zero).
type Flag = u32;
/// The C type of integer options.
type Int = i32;

crate::sys::socket_api::plain_options!(socket);

/// `setsockopt` with a value of type `T` (plain data: integers or C structs of them).
pub(super) fn setsockopt<T: Copy>(
    s: BorrowedSocket<'_>,
    level: i32,
    name: i32,
    value: T,
) -> io::Result<()> {
    let ptr = &value as *const T as *const u8;
    let len = mem::size_of::<T>() as i32;
    // SAFETY: `ptr` points to `value`, a live `T` of `len` bytes that outlives the call; the
    // call only reads it.
    cvt(unsafe { ws::setsockopt(raw(s), level, name, ptr, len) }).map(drop)
}

/// Reads an option of type `T` (plain data: integers or C structs of them). The value starts
/// zeroed, so an option the system writes with fewer bytes (a one-byte BOOL) reads correctly.
pub(super) fn getsockopt<T: Copy + Default>(
    s: BorrowedSocket<'_>,
    level: i32,
    name: i32,
) -> io::Result<T> {
    let mut value = T::default();
    let mut len = mem::size_of::<T>() as i32;
    let ptr = &mut value as *mut T as *mut u8;
    // SAFETY: `ptr` points to `value`, writable for `len` bytes; the call writes at most that
    // many and stores the length in `len`, a live local.
    cvt(unsafe { ws::getsockopt(raw(s), level, name, ptr, &mut len) })?;
    Ok(value)
}

/// A boolean option.
fn set_flag(s: BorrowedSocket<'_>, level: i32, name: i32, on: bool) -> io::Result<()> {
    setsockopt(s, level, name, Flag::from(on))
}

/// A boolean option.
fn flag(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<bool> {
    getsockopt::<Flag>(s, level, name).map(|v| v != 0)
}

/// An integer option.
fn uint(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<u32> {
    getsockopt::<u32>(s, level, name)
}

/// Winsock gives no cheap way to learn a socket's family (`getsockname` fails on unbound
/// sockets), so the OS error stays as it is.
pub(crate) fn named_family(
    _: BorrowedSocket<'_>,
    _: Family,
    _: &'static str,
    error: io::Error,
) -> io::Error {
    error
}

/// Returns and clears the pending error (`SO_ERROR`).
pub(crate) fn take_error(s: BorrowedSocket<'_>) -> io::Result<Option<io::Error>> {
    let code: i32 = getsockopt(s, ws::SOL_SOCKET, ws::SO_ERROR)?;
    Ok((code != 0).then(|| io::Error::from_raw_os_error(code)))
}
