//! IPv6 options: IPv6-only and the traffic class.

use std::io;
use std::os::fd::BorrowedFd;

use super::{flag, named_family, set_flag};
use crate::sys::socket_api::Family;
#[allow(unused_imports)] // Where the system has no IPV6_TCLASS.
use {super::getsockopt, super::setsockopt, super::Int, libc as c};

crate::sys::socket_api::plain_options!(ipv6);

/// `IPV6_V6ONLY`, with the family named on an IPv4 socket.
pub(crate) fn set_only_v6(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, on)
        .map_err(|e| named_family(fd, Family::V6, "set_only_v6: socket is not IPv6", e))
}

/// `IPV6_V6ONLY`, with the OS error as it is (see `socket_api::only_v6_named`).
pub(crate) fn only_v6(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)
}
