//! UDP options: broadcast and multicast.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::BorrowedFd;

use super::{flag, getsockopt, set_flag, setsockopt};
use crate::sys::socket_api::Membership;

/// `SO_BROADCAST`.
pub(crate) fn set_broadcast(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, on)
}

/// `SO_BROADCAST`.
pub(crate) fn broadcast(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::SOL_SOCKET, libc::SO_BROADCAST)
}

/// The C type of `IP_MULTICAST_LOOP` and `IP_MULTICAST_TTL`: a byte on these systems (as std
/// has it), a C `int` elsewhere.
#[cfg(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "solaris",
    target_os = "illumos",
    target_os = "nto",
))]
mod v4_value {
    pub(super) type MulticastV4 = u8;
    pub(super) use crate::sys::socket_api::clamp_u8 as clamp;
}
#[cfg(not(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "solaris",
    target_os = "illumos",
    target_os = "nto",
)))]
mod v4_value {
    pub(super) type MulticastV4 = libc::c_int;
    pub(super) use crate::sys::socket_api::clamp_int as clamp;
}
use self::v4_value::MulticastV4;

/// `IP_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v4(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    let value = MulticastV4::from(on);
    setsockopt(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, value)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v4(fd: BorrowedFd<'_>) -> io::Result<bool> {
    getsockopt::<MulticastV4>(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP).map(|v| v != 0)
}

/// `IP_MULTICAST_TTL`; clamped to what the C type holds, never wrapped.
pub(crate) fn set_multicast_ttl_v4(fd: BorrowedFd<'_>, ttl: u32) -> io::Result<()> {
    let value = v4_value::clamp(ttl);
    setsockopt(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_TTL, value)
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn multicast_ttl_v4(fd: BorrowedFd<'_>) -> io::Result<u32> {
    getsockopt::<MulticastV4>(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_TTL)
        .map(|v| u32::try_from(v).unwrap_or(0))
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v6(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, on)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v6(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP)
}

/// `IP_ADD_MEMBERSHIP` or `IP_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v4(
    fd: BorrowedFd<'_>,
    membership: Membership,
    group: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let in_addr = |a: &Ipv4Addr| libc::in_addr {
        s_addr: u32::from_ne_bytes(a.octets()),
    };
    let mreq = libc::ip_mreq {
        imr_multiaddr: in_addr(group),
        imr_interface: in_addr(interface),
    };
    let name = match membership {
        Membership::Join => libc::IP_ADD_MEMBERSHIP,
        Membership::Leave => libc::IP_DROP_MEMBERSHIP,
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
    membership: Membership,
    group: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    let mreq = libc::ipv6_mreq {
        ipv6mr_multiaddr: libc::in6_addr {
            s6_addr: group.octets(),
        },
        ipv6mr_interface: interface as _,
    };
    let name = match membership {
        Membership::Join => IPV6_JOIN,
        Membership::Leave => IPV6_LEAVE,
    };
    setsockopt(fd, libc::IPPROTO_IPV6, name, mreq)
}
