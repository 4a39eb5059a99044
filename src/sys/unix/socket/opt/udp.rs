//! UDP options: broadcast and multicast.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::BorrowedFd;

use libc as c;

use super::{getsockopt, setsockopt, Flag};
use crate::sys::socket_api::Membership;

/// The C type of `IP_MULTICAST_LOOP` and `IP_MULTICAST_TTL`: a C `int`, except on the
/// systems below.
mod c_int_default {
    #[allow(dead_code)] // Replaced below on the systems that take a byte.
    pub(super) type MulticastV4 = libc::c_int;
}
#[allow(unused_imports)]
use self::c_int_default::*;

/// A byte on the BSDs, illumos, Solaris and QNX Neutrino (as std has it).
#[cfg(ferrio_multicast_v4_byte)]
type MulticastV4 = u8;

crate::sys::socket_api::plain_options!(udp);

/// `IP_ADD_MEMBERSHIP` or `IP_DROP_MEMBERSHIP`.
#[cfg(not(ferrio_no_mreq))]
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

#[cfg(all(ferrio_ipv6_add_membership, not(ferrio_no_mreq)))]
use libc::{IPV6_ADD_MEMBERSHIP as IPV6_JOIN, IPV6_DROP_MEMBERSHIP as IPV6_LEAVE};
#[cfg(not(any(ferrio_ipv6_add_membership, ferrio_no_mreq)))]
use libc::{IPV6_JOIN_GROUP as IPV6_JOIN, IPV6_LEAVE_GROUP as IPV6_LEAVE};

/// IPv6 group membership (`IPV6_ADD_MEMBERSHIP`/`IPV6_JOIN_GROUP` and their opposites).
#[cfg(not(ferrio_no_mreq))]
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

/// Without `ip_mreq` and `ipv6_mreq` in libc (Hermit), joining or leaving a multicast group
/// fails before any system call.
#[cfg(ferrio_no_mreq)]
pub(crate) fn multicast_v4(
    _: BorrowedFd<'_>,
    _: Membership,
    _: &Ipv4Addr,
    _: &Ipv4Addr,
) -> io::Result<()> {
    Err(crate::sys::socket_api::unsupported(
        "multicast groups are not available on this system",
    ))
}

/// See the `multicast_v4` above.
#[cfg(ferrio_no_mreq)]
pub(crate) fn multicast_v6(
    _: BorrowedFd<'_>,
    _: Membership,
    _: &Ipv6Addr,
    _: u32,
) -> io::Result<()> {
    Err(crate::sys::socket_api::unsupported(
        "multicast groups are not available on this system",
    ))
}
