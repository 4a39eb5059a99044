//! Socket options: typed `getsockopt`/`setsockopt` wrappers, one function per option.

use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, BorrowedFd};

use libc::{c_int, c_void, socklen_t};

use crate::sys::unix::cvt;

/// Option values that are plain integers or structs of them: every bit pattern is valid.
trait OptValue: Copy {}
impl OptValue for c_int {}
impl OptValue for u8 {}
impl OptValue for libc::ip_mreq {}
impl OptValue for libc::ipv6_mreq {}

fn setsockopt<T: OptValue>(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
    value: T,
) -> io::Result<()> {
    let len = mem::size_of::<T>() as socklen_t;
    // SAFETY: `value` is a live T of `len` bytes.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            &value as *const T as *const c_void,
            len,
        )
    })
    .map(drop)
}

fn getsockopt<T: OptValue>(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<T> {
    let mut value = MaybeUninit::<T>::zeroed();
    let mut len = mem::size_of::<T>() as socklen_t;
    // SAFETY: `value` is writable for `len` bytes.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value.as_mut_ptr().cast(),
            &mut len,
        )
    })?;
    // SAFETY: zero-initialised, and every bit pattern is a valid `OptValue`.
    Ok(unsafe { value.assume_init() })
}

pub(super) fn set_flag(fd: BorrowedFd<'_>, level: c_int, name: c_int, on: bool) -> io::Result<()> {
    setsockopt(fd, level, name, c_int::from(on))
}

fn flag(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<bool> {
    getsockopt::<c_int>(fd, level, name).map(|v| v != 0)
}

/// `SO_ERROR`: the pending error, cleared by reading it.
pub(crate) fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    let err: c_int = getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok(if err == 0 {
        None
    } else {
        Some(io::Error::from_raw_os_error(err))
    })
}

/// `IP_TTL` (also on IPv6 sockets, as std does).
pub(crate) fn set_ttl(fd: BorrowedFd<'_>, ttl: u32) -> io::Result<()> {
    setsockopt(fd, libc::IPPROTO_IP, libc::IP_TTL, ttl as c_int)
}

/// `IP_TTL`.
pub(crate) fn ttl(fd: BorrowedFd<'_>) -> io::Result<u32> {
    getsockopt::<c_int>(fd, libc::IPPROTO_IP, libc::IP_TTL).map(|v| v as u32)
}

/// `TCP_NODELAY`.
pub(crate) fn set_nodelay(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, on)
}

/// `TCP_NODELAY`.
pub(crate) fn nodelay(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY)
}

/// `SO_BROADCAST`.
pub(crate) fn set_broadcast(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, on)
}

/// `SO_BROADCAST`.
pub(crate) fn broadcast(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::SOL_SOCKET, libc::SO_BROADCAST)
}

/// The C type of `IP_MULTICAST_LOOP` and `IP_MULTICAST_TTL` (a byte on these systems, as in
/// std).
#[cfg(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "solaris",
    target_os = "illumos",
    target_os = "nto",
))]
type MulticastV4 = u8;
#[cfg(not(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "solaris",
    target_os = "illumos",
    target_os = "nto",
)))]
type MulticastV4 = c_int;

/// `IP_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v4(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    setsockopt(
        fd,
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_LOOP,
        MulticastV4::from(on),
    )
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v4(fd: BorrowedFd<'_>) -> io::Result<bool> {
    getsockopt::<MulticastV4>(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP).map(|v| v != 0)
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn set_multicast_ttl_v4(fd: BorrowedFd<'_>, ttl: u32) -> io::Result<()> {
    setsockopt(
        fd,
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_TTL,
        ttl as MulticastV4,
    )
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn multicast_ttl_v4(fd: BorrowedFd<'_>) -> io::Result<u32> {
    getsockopt::<MulticastV4>(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_TTL).map(|v| v as u32)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v6(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, on)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v6(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP)
}

/// `IPV6_V6ONLY`.
pub(crate) fn only_v6(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)
}

/// `IP_ADD_MEMBERSHIP` (`join`) or `IP_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v4(
    fd: BorrowedFd<'_>,
    join: bool,
    group: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let mreq = libc::ip_mreq {
        imr_multiaddr: libc::in_addr {
            s_addr: u32::from_ne_bytes(group.octets()),
        },
        imr_interface: libc::in_addr {
            s_addr: u32::from_ne_bytes(interface.octets()),
        },
    };
    let name = if join {
        libc::IP_ADD_MEMBERSHIP
    } else {
        libc::IP_DROP_MEMBERSHIP
    };
    setsockopt(fd, libc::IPPROTO_IP, name, mreq)
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
use libc::{IPV6_ADD_MEMBERSHIP as IPV6_JOIN, IPV6_DROP_MEMBERSHIP as IPV6_LEAVE};
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
use libc::{IPV6_JOIN_GROUP as IPV6_JOIN, IPV6_LEAVE_GROUP as IPV6_LEAVE};

/// IPv6 group membership (`IPV6_ADD_MEMBERSHIP`/`IPV6_JOIN_GROUP` and their opposites).
pub(crate) fn multicast_v6(
    fd: BorrowedFd<'_>,
    join: bool,
    group: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    let mreq = libc::ipv6_mreq {
        ipv6mr_multiaddr: libc::in6_addr {
            s6_addr: group.octets(),
        },
        ipv6mr_interface: interface as _,
    };
    setsockopt(
        fd,
        libc::IPPROTO_IPV6,
        if join { IPV6_JOIN } else { IPV6_LEAVE },
        mreq,
    )
}
