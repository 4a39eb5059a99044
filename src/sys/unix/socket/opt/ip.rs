//! IPv4 options: time-to-live and type of service (both in the shared table), and Linux's
//! late port choice.

use libc as c;

use super::{getsockopt, setsockopt, Int};

crate::sys::socket_api::plain_options!(ip);

/// `IP_BIND_ADDRESS_NO_PORT` (Linux 4.2+): a bind to port 0 leaves the port to `connect`,
/// which can then share a local port among connections to different peers.
#[cfg(ferrio_bind_no_port)]
pub(crate) fn set_bind_address_no_port(
    fd: std::os::fd::BorrowedFd<'_>,
    on: bool,
) -> std::io::Result<()> {
    super::set_flag(fd, libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT, on)
}
