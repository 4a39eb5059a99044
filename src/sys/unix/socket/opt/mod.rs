//! Socket options on Unix: typed `getsockopt`/`setsockopt`, the socket-level options (pending
//! error, address and port reuse, device binding), and one file per topic: `ip.rs`, `ipv6.rs`,
//! `tcp.rs`, `udp.rs` (broadcast and multicast), `buffers.rs` (buffer sizes and linger).
//!
//! Options the target does not have are either absent (the public method is compiled out, as
//! tokio does for the same method; the `cfg` lists match `net/options.rs`) or fail with
//! `ErrorKind::Unsupported` before any system call. An option of the other address family
//! (`IPV6_TCLASS` on an IPv4 socket, ...) fails with `ErrorKind::InvalidInput` and a message
//! that names the method ([`named_family`]); that costs nothing on success, as the family is
//! looked up only after the OS has refused the option. Out-of-range values are clamped (see
//! `sys/socket_api.rs`).

use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd};

use libc as c;
use libc::{c_int, c_void, socklen_t};

use super::addr::family;
use crate::sys::failpoints::syscall;
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

/// The C type of boolean options.
type Flag = c_int;
/// The C type of integer options.
type Int = c_int;

crate::sys::socket_api::plain_options!(socket);

/// Option values that are plain integers or structs of them: every bit pattern is valid.
pub(super) trait OptValue: Copy {}
impl OptValue for c_int {}
impl OptValue for u8 {}
#[cfg(not(ferrio_no_mreq))]
impl OptValue for libc::ip_mreq {}
#[cfg(not(ferrio_no_mreq))]
impl OptValue for libc::ipv6_mreq {}
#[cfg(not(ferrio_no_linger))]
impl OptValue for libc::linger {}

/// `setsockopt` with a value of type `T`.
pub(super) fn setsockopt<T: OptValue>(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
    value: T,
) -> io::Result<()> {
    let len = mem::size_of::<T>() as socklen_t;
    let ptr = &value as *const T as *const c_void;
    // SAFETY: `ptr` points to `value`, a live `T` of `len` bytes that outlives the call; the
    // kernel only reads it.
    syscall!("setsockopt", unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, ptr, len)
    })
    .map(drop)
}

/// `getsockopt` of a value of type `T`. The value starts zeroed, so an option the kernel
/// writes with fewer bytes reads correctly.
pub(super) fn getsockopt<T: OptValue>(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
) -> io::Result<T> {
    let mut value = MaybeUninit::<T>::zeroed();
    let mut len = mem::size_of::<T>() as socklen_t;
    let ptr = value.as_mut_ptr().cast::<c_void>();
    // SAFETY: `ptr` points to `value`, writable for `len` bytes; the kernel writes at most
    // `len` bytes and stores the length it wrote in `len`, a live local.
    syscall!("getsockopt", unsafe {
        libc::getsockopt(fd.as_raw_fd(), level, name, ptr, &mut len)
    })?;
    // SAFETY: `value` was zero-initialised and the kernel wrote only bytes of a `T` into it;
    // every bit pattern is a valid `OptValue` (the trait's contract).
    Ok(unsafe { value.assume_init() })
}

/// A boolean option (a C `int`, 0 or 1).
pub(super) fn set_flag(fd: BorrowedFd<'_>, level: c_int, name: c_int, on: bool) -> io::Result<()> {
    setsockopt(fd, level, name, c_int::from(on))
}

/// A boolean option (a C `int`, non-zero for true).
pub(super) fn flag(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<bool> {
    getsockopt::<c_int>(fd, level, name).map(|v| v != 0)
}

/// A non-negative integer option as `u32` (a negative value, which no option here reports,
/// reads as 0).
pub(super) fn uint(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<u32> {
    getsockopt::<c_int>(fd, level, name).map(|v| v.max(0) as u32)
}

/// Turns the OS's refusal of an option of family `want` into an error that names the method
/// when the socket turns out to be of the other IP family. Any other error stays the OS error.
pub(crate) fn named_family(
    fd: BorrowedFd<'_>,
    want: Family,
    message: &'static str,
    error: io::Error,
) -> io::Error {
    let want = match want {
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    };
    match family(fd) {
        Ok(f) if f != want && (f == libc::AF_INET || f == libc::AF_INET6) => {
            io::Error::new(io::ErrorKind::InvalidInput, message)
        }
        _ => error,
    }
}

/// `SO_ERROR`: the pending error, cleared by reading it.
pub(crate) fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    let err: c_int = getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
}

/// `SO_REUSEPORT` (compiled where libc defines it; the public methods use the same list).
#[cfg(ferrio_reuseport)]
pub(crate) fn set_reuseport(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, on)
}

/// `SO_REUSEPORT`.
#[cfg(ferrio_reuseport)]
pub(crate) fn reuseport(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT)
}

/// `SO_BINDTODEVICE`: `None` or an empty name removes the binding.
#[cfg(ferrio_bindtodevice)]
pub(crate) fn bind_device(fd: BorrowedFd<'_>, interface: Option<&[u8]>) -> io::Result<()> {
    let name = interface.unwrap_or(&[]);
    let ptr = if name.is_empty() {
        std::ptr::null()
    } else {
        name.as_ptr()
    };
    let (level, opt, len) = (libc::SOL_SOCKET, libc::SO_BINDTODEVICE, name.len());
    // SAFETY: `ptr` is null with length 0, or points to the `len` readable bytes of `name`,
    // which outlives the call; the kernel copies at most `len` bytes.
    syscall!("setsockopt", unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, opt, ptr.cast(), len as socklen_t)
    })
    .map(drop)
}

/// `SO_BINDTODEVICE`: the interface name without its NUL, or `None` if unbound.
#[cfg(ferrio_bindtodevice)]
pub(crate) fn device(fd: BorrowedFd<'_>) -> io::Result<Option<Vec<u8>>> {
    let mut buf = [0u8; libc::IFNAMSIZ];
    let mut len = buf.len() as socklen_t;
    let (level, opt, ptr) = (libc::SOL_SOCKET, libc::SO_BINDTODEVICE, buf.as_mut_ptr());
    // SAFETY: `ptr` points to `buf`, writable for `len` bytes; the kernel writes at most that
    // many and stores the length in `len`, a live local.
    syscall!("getsockopt", unsafe {
        libc::getsockopt(fd.as_raw_fd(), level, opt, ptr.cast(), &mut len)
    })?;
    let name = &buf[..(len as usize).min(buf.len())];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok((end != 0).then(|| name[..end].to_vec()))
}
