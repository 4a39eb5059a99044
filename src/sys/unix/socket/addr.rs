//! Socket addresses: std's `SocketAddr` and Unix `SocketAddr` to and from their C forms, and
//! the `getsockname`/`getpeername` calls that read them back.

#[cfg(unix)]
use std::ffi::OsStr;
use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd};
// The same trait, exported under each system's module (`std::os::linux` does not exist on
// Android): std's module names, one system each.
#[cfg(target_os = "android")]
use std::os::android::net::SocketAddrExt;
#[cfg(target_os = "linux")]
use std::os::linux::net::SocketAddrExt;
// Unix-domain addresses: Unix only (not on Hermit or WASI).
#[cfg(unix)]
use std::os::unix::ffi::OsStrExt;
#[cfg(unix)]
use std::os::unix::net::SocketAddr as UnixAddr;

#[cfg(unix)]
use libc::sockaddr_un;
use libc::{c_int, sockaddr, sockaddr_storage, socklen_t};

use crate::sys::unix::cvt;

/// Storage for an IPv4 or IPv6 socket address in C form.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) union RawInet {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
}

impl RawInet {
    fn as_ptr(&self) -> *const sockaddr {
        self as *const RawInet as *const sockaddr
    }
}

/// A std address in C form, and its length. (BSD `sin_len` stays 0: the kernel takes the
/// length from the `socklen_t` argument.)
pub(super) fn inet_to_raw(addr: &SocketAddr) -> (RawInet, socklen_t) {
    match addr {
        SocketAddr::V4(a) => {
            // SAFETY: all-zero is a valid sockaddr_in.
            let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from_ne_bytes(a.ip().octets()),
            };
            (
                RawInet { v4: sin },
                mem::size_of::<libc::sockaddr_in>() as socklen_t,
            )
        }
        SocketAddr::V6(a) => {
            // SAFETY: all-zero is a valid sockaddr_in6.
            let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: a.ip().octets(),
            };
            sin6.sin6_scope_id = a.scope_id();
            (
                RawInet { v6: sin6 },
                mem::size_of::<libc::sockaddr_in6>() as socklen_t,
            )
        }
    }
}

fn bad_family() -> io::Error {
    io::Error::from_raw_os_error(libc::EAFNOSUPPORT)
}

/// A C socket address of `len` bytes as a std address.
fn inet_from_raw(storage: &sockaddr_storage, len: socklen_t) -> io::Result<SocketAddr> {
    let len = len as usize;
    match c_int::from(storage.ss_family) {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says it holds a sockaddr_in, and sockaddr_storage is large
            // and aligned enough for one.
            let sin = unsafe { &*(storage as *const sockaddr_storage as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddrV4::new(ip, u16::from_be(sin.sin_port)).into())
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the family says it holds a sockaddr_in6, the length covers one, and
            // sockaddr_storage is large and aligned enough for one.
            let sin6 =
                unsafe { &*(storage as *const sockaddr_storage as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Ok(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )
            .into())
        }
        _ => Err(bad_family()),
    }
}

#[cfg(unix)]
fn sun_path_offset(raw: &sockaddr_un) -> usize {
    raw.sun_path.as_ptr() as usize - raw as *const sockaddr_un as usize
}

#[cfg(unix)]
/// A std Unix address in C form: a pathname (NUL-terminated), an abstract name (leading NUL,
/// Linux and Android), or unnamed (family only).
#[cfg(unix)]
fn unix_to_raw(addr: &UnixAddr) -> io::Result<(sockaddr_un, socklen_t)> {
    // SAFETY: all-zero is a valid sockaddr_un.
    let mut raw: sockaddr_un = unsafe { mem::zeroed() };
    raw.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let offset = sun_path_offset(&raw);
    let (start, bytes, terminator): (usize, &[u8], usize) = if let Some(path) = addr.as_pathname() {
        (0, path.as_os_str().as_bytes(), 1)
    } else {
        abstract_name(addr).map_or((0, &[][..], 0), |name| (1, name, 0))
    };
    // A pathname keeps room for its NUL; std has checked this already for addresses it built.
    if start + bytes.len() + terminator > raw.sun_path.len() {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    for (dst, src) in raw.sun_path[start..].iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let len = if bytes.is_empty() && start == 0 {
        offset
    } else {
        offset + start + bytes.len() + terminator
    };
    Ok((raw, len as socklen_t))
}

#[cfg(all(unix, ferrio_abstract_uds))]
fn abstract_name(addr: &UnixAddr) -> Option<&[u8]> {
    addr.as_abstract_name()
}

#[cfg(all(unix, not(ferrio_abstract_uds)))]
fn abstract_name(_: &UnixAddr) -> Option<&[u8]> {
    None
}

#[cfg(unix)]
fn unix_from_storage(storage: &sockaddr_storage, len: socklen_t) -> io::Result<UnixAddr> {
    // SAFETY: sockaddr_storage is at least as large and as aligned as sockaddr_un.
    let raw = unsafe { &*(storage as *const sockaddr_storage as *const sockaddr_un) };
    unix_from_raw(raw, len)
}

#[cfg(unix)]
/// A C Unix address of `len` bytes as a std address. Unnamed peers (`len` covers only the
/// family, or is 0) become the unnamed address; abstract names keep their bytes.
#[cfg(unix)]
fn unix_from_raw(raw: &sockaddr_un, len: socklen_t) -> io::Result<UnixAddr> {
    if len != 0 && c_int::from(raw.sun_family) != libc::AF_UNIX {
        return Err(bad_family());
    }
    let n = (len as usize)
        .saturating_sub(sun_path_offset(raw))
        .min(raw.sun_path.len());
    // SAFETY: `sun_path` is an array of at least `n` initialised c_chars, which have the size
    // and alignment of u8.
    let path = unsafe { std::slice::from_raw_parts(raw.sun_path.as_ptr().cast::<u8>(), n) };
    #[cfg(ferrio_abstract_uds)]
    if path.first() == Some(&0) {
        return UnixAddr::from_abstract_name(&path[1..]);
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(n);
    UnixAddr::from_pathname(OsStr::from_bytes(&path[..end]))
}

fn name_with(
    fd: BorrowedFd<'_>,
    call: unsafe extern "C" fn(c_int, *mut sockaddr, *mut socklen_t) -> c_int,
) -> io::Result<(sockaddr_storage, socklen_t)> {
    let mut storage = MaybeUninit::<sockaddr_storage>::zeroed();
    let mut len = mem::size_of::<sockaddr_storage>() as socklen_t;
    // SAFETY: `storage` is writable for `len` bytes.
    cvt(unsafe { call(fd.as_raw_fd(), storage.as_mut_ptr().cast(), &mut len) })?;
    // SAFETY: zero-initialised, partly written by the kernel.
    Ok((unsafe { storage.assume_init() }, len))
}

/// The address family of a socket (`AF_INET`, `AF_INET6`, `AF_UNIX`), from `getsockname`,
/// which reports it for unbound sockets too.
pub(super) fn family(fd: BorrowedFd<'_>) -> io::Result<c_int> {
    let (storage, _) = name_with(fd, libc::getsockname)?;
    Ok(c_int::from(storage.ss_family))
}

/// An address type a socket call can take: IP (`SocketAddr`) or Unix-domain (`UnixAddr`).
pub(crate) trait ToRaw {
    /// Runs `f` with the address in C form (valid for the whole call of `f`) and its length.
    fn with_raw<R>(&self, f: impl FnOnce(*const sockaddr, socklen_t) -> R) -> io::Result<R>;
}

impl ToRaw for SocketAddr {
    fn with_raw<R>(&self, f: impl FnOnce(*const sockaddr, socklen_t) -> R) -> io::Result<R> {
        let (raw, len) = inet_to_raw(self);
        Ok(f(raw.as_ptr(), len))
    }
}

#[cfg(unix)]
impl ToRaw for UnixAddr {
    fn with_raw<R>(&self, f: impl FnOnce(*const sockaddr, socklen_t) -> R) -> io::Result<R> {
        let (raw, len) = unix_to_raw(self)?;
        Ok(f(&raw as *const sockaddr_un as *const sockaddr, len))
    }
}

/// An address type a socket call can report: IP (`SocketAddr`) or Unix-domain (`UnixAddr`).
pub(crate) trait FromStorage: Sized {
    /// The address in the first `len` bytes of `storage`.
    fn from_storage(storage: &sockaddr_storage, len: socklen_t) -> io::Result<Self>;
}

impl FromStorage for SocketAddr {
    fn from_storage(storage: &sockaddr_storage, len: socklen_t) -> io::Result<SocketAddr> {
        inet_from_raw(storage, len)
    }
}

#[cfg(unix)]
impl FromStorage for UnixAddr {
    fn from_storage(storage: &sockaddr_storage, len: socklen_t) -> io::Result<UnixAddr> {
        unix_from_storage(storage, len)
    }
}

/// `getsockname`: the local address of an IP or a Unix-domain socket.
pub(crate) fn local_addr<A: FromStorage>(fd: BorrowedFd<'_>) -> io::Result<A> {
    let (storage, len) = name_with(fd, libc::getsockname)?;
    A::from_storage(&storage, len)
}

/// `getpeername`: the peer's address. `ENOTCONN` (kind `NotConnected`) while a connect is in
/// progress.
pub(crate) fn peer_addr<A: FromStorage>(fd: BorrowedFd<'_>) -> io::Result<A> {
    let (storage, len) = name_with(fd, libc::getpeername)?;
    A::from_storage(&storage, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_addresses_round_trip() {
        for addr in ["127.0.0.1:80", "[::1]:443", "[fe80::1%7]:9", "0.0.0.0:0"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let (raw, len) = inet_to_raw(&addr);
            // SAFETY: all-zero is a valid sockaddr_storage.
            let mut storage: sockaddr_storage = unsafe { mem::zeroed() };
            // SAFETY: copying `len` (<= sizeof storage) bytes between two live values.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    raw.as_ptr().cast::<u8>(),
                    (&mut storage as *mut sockaddr_storage).cast::<u8>(),
                    len as usize,
                )
            };
            assert_eq!(inet_from_raw(&storage, len).unwrap(), addr);
        }
    }

    #[test]
    fn short_or_foreign_addresses_are_rejected() {
        // SAFETY: all-zero is a valid sockaddr_storage.
        let storage: sockaddr_storage = unsafe { mem::zeroed() };
        assert_eq!(
            inet_from_raw(&storage, 0).unwrap_err().raw_os_error(),
            Some(libc::EAFNOSUPPORT)
        );
    }

    #[cfg(unix)]
    #[test]
    fn unix_addresses_round_trip() {
        let unnamed = UnixAddr::from_pathname("").unwrap();
        let path = UnixAddr::from_pathname("/tmp/ferrio.sock").unwrap();
        for addr in [unnamed, path] {
            let (raw, len) = unix_to_raw(&addr).unwrap();
            let back = unix_from_raw(&raw, len).unwrap();
            assert_eq!(back.as_pathname(), addr.as_pathname());
            assert_eq!(back.is_unnamed(), addr.is_unnamed());
        }
        // A zero length (some kernels for unnamed peers) is the unnamed address too.
        let (raw, _) = unix_to_raw(&UnixAddr::from_pathname("/x").unwrap()).unwrap();
        assert!(unix_from_raw(&raw, 0).unwrap().is_unnamed());
    }

    #[cfg(ferrio_abstract_uds)]
    #[test]
    fn abstract_addresses_round_trip() {
        let addr = UnixAddr::from_abstract_name(b"ferrio\0inner").unwrap();
        let (raw, len) = unix_to_raw(&addr).unwrap();
        assert_eq!(len as usize, sun_path_offset(&raw) + 1 + 12);
        let back = unix_from_raw(&raw, len).unwrap();
        assert_eq!(back.as_abstract_name(), Some(&b"ferrio\0inner"[..]));
    }
}
