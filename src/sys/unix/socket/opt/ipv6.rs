//! IPv6 options: IPv6-only and the traffic class.

use std::io;
use std::os::fd::BorrowedFd;

use super::{flag, named_family, set_flag};
use crate::sys::socket_api::Family;

/// `IPV6_V6ONLY`, with the family named on an IPv4 socket.
pub(crate) fn set_only_v6(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, on)
        .map_err(|e| named_family(fd, Family::V6, "set_only_v6: socket is not IPv6", e))
}

/// `IPV6_V6ONLY`, with the OS error as it is (see `socket_api::only_v6_named`).
pub(crate) fn only_v6(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)
}

/// `IPV6_TCLASS` (compiled where libc defines it; the public methods use the same list).
#[cfg(ferrio_tclass_v6)]
pub(crate) fn set_tclass_v6(fd: BorrowedFd<'_>, tclass: u32) -> io::Result<()> {
    let value = crate::sys::socket_api::clamp_int(tclass);
    super::setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS, value)
        .map_err(|e| named_family(fd, Family::V6, "set_tclass_v6: socket is not IPv6", e))
}

/// `IPV6_TCLASS`.
#[cfg(ferrio_tclass_v6)]
pub(crate) fn tclass_v6(fd: BorrowedFd<'_>) -> io::Result<u32> {
    super::uint(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS)
        .map_err(|e| named_family(fd, Family::V6, "tclass_v6: socket is not IPv6", e))
}
