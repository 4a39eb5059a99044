//! IPv4 options: time-to-live, type of service, and Linux's late port choice.

use std::io;
use std::os::fd::BorrowedFd;

use libc as c;

use super::{getsockopt, named_family, setsockopt, uint, Int};
use crate::sys::socket_api::{clamp_int, Family};

crate::sys::socket_api::plain_options!(ip);

/// `IP_TOS`. Linux also applies it to IPv6 sockets (for IPv4-mapped traffic); where an IPv6
/// socket refuses it, the error names the method.
pub(crate) fn set_tos_v4(fd: BorrowedFd<'_>, tos: u32) -> io::Result<()> {
    setsockopt(fd, libc::IPPROTO_IP, libc::IP_TOS, clamp_int(tos))
        .map_err(|e| named_family(fd, Family::V4, "set_tos_v4: socket is not IPv4", e))
}

/// `IP_TOS`.
pub(crate) fn tos_v4(fd: BorrowedFd<'_>) -> io::Result<u32> {
    uint(fd, libc::IPPROTO_IP, libc::IP_TOS)
        .map_err(|e| named_family(fd, Family::V4, "tos_v4: socket is not IPv4", e))
}

/// `IP_BIND_ADDRESS_NO_PORT` (Linux 4.2+): a bind to port 0 leaves the port to `connect`,
/// which can then share a local port among connections to different peers.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn set_bind_address_no_port(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    super::set_flag(fd, libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT, on)
}
