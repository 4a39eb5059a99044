//! UDP options: broadcast and multicast.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock::{
    self as ws, self as c, IN6_ADDR, IN6_ADDR_0, IN_ADDR, IN_ADDR_0, IPV6_MREQ, IP_MREQ,
};

use super::{getsockopt, setsockopt, Flag, Int};
use crate::sys::socket_api::Membership;

/// The C type of `IP_MULTICAST_LOOP` and `IP_MULTICAST_TTL`.
type MulticastV4 = Int;

crate::sys::socket_api::plain_options!(udp);

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
