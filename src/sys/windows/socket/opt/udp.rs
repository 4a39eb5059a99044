//! UDP options: broadcast and multicast.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock::{
    self as ws, IN6_ADDR, IN6_ADDR_0, IN_ADDR, IN_ADDR_0, IPV6_MREQ, IP_MREQ,
};

use super::{flag, get_u32, set_flag, setsockopt};
use crate::sys::socket_api::{clamp_int, Membership};

/// `SO_BROADCAST`.
pub(crate) fn set_broadcast(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::SOL_SOCKET, ws::SO_BROADCAST, on)
}

/// `SO_BROADCAST`.
pub(crate) fn broadcast(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::SOL_SOCKET, ws::SO_BROADCAST)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v4(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP, on)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v4(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP)
}

/// `IP_MULTICAST_TTL`; clamped, never wrapped.
pub(crate) fn set_multicast_ttl_v4(s: BorrowedSocket<'_>, ttl: u32) -> io::Result<()> {
    setsockopt(s, ws::IPPROTO_IP, ws::IP_MULTICAST_TTL, clamp_int(ttl))
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn multicast_ttl_v4(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_MULTICAST_TTL)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v6(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP, on)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v6(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP)
}

/// `IP_ADD_MEMBERSHIP` or `IP_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v4(
    s: BorrowedSocket<'_>,
    membership: Membership,
    group: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let in_addr = |a: &Ipv4Addr| IN_ADDR {
        S_un: IN_ADDR_0 {
            S_addr: u32::from_ne_bytes(a.octets()),
        },
    };
    let mreq = IP_MREQ {
        imr_multiaddr: in_addr(group),
        imr_interface: in_addr(interface),
    };
    let name = match membership {
        Membership::Join => ws::IP_ADD_MEMBERSHIP,
        Membership::Leave => ws::IP_DROP_MEMBERSHIP,
    };
    setsockopt(s, ws::IPPROTO_IP, name, mreq)
}

/// `IPV6_ADD_MEMBERSHIP` or `IPV6_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v6(
    s: BorrowedSocket<'_>,
    membership: Membership,
    group: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    let mreq = IPV6_MREQ {
        ipv6mr_multiaddr: IN6_ADDR {
            u: IN6_ADDR_0 {
                Byte: group.octets(),
            },
        },
        ipv6mr_interface: interface,
    };
    let name = match membership {
        Membership::Join => ws::IPV6_ADD_MEMBERSHIP,
        Membership::Leave => ws::IPV6_DROP_MEMBERSHIP,
    };
    setsockopt(s, ws::IPPROTO_IPV6, name, mreq)
}
