//! IPv4 options: time-to-live and type of service.

use std::io;
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock::{self as ws, self as c};

use super::{getsockopt, named_family, setsockopt, uint, Int};
use crate::sys::socket_api::{clamp_int, Family};

crate::sys::socket_api::plain_options!(ip);

/// `IP_TOS`.
pub(crate) fn set_tos_v4(s: BorrowedSocket<'_>, tos: u32) -> io::Result<()> {
    setsockopt(s, ws::IPPROTO_IP, ws::IP_TOS, clamp_int(tos))
        .map_err(|e| named_family(s, Family::V4, "set_tos_v4: socket is not IPv4", e))
}

/// `IP_TOS`.
pub(crate) fn tos_v4(s: BorrowedSocket<'_>) -> io::Result<u32> {
    uint(s, ws::IPPROTO_IP, ws::IP_TOS)
        .map_err(|e| named_family(s, Family::V4, "tos_v4: socket is not IPv4", e))
}
