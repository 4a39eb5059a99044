//! IPv4 options: time-to-live and type of service.

use std::io;
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock as ws;

use super::{get_u32, named_family, setsockopt};
use crate::sys::socket_api::{clamp_int, Family};

/// `IP_TTL`; clamped, never wrapped.
pub(crate) fn set_ttl(s: BorrowedSocket<'_>, ttl: u32) -> io::Result<()> {
    setsockopt(s, ws::IPPROTO_IP, ws::IP_TTL, clamp_int(ttl))
}

/// `IP_TTL`.
pub(crate) fn ttl(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_TTL)
}

/// `IP_TOS`.
pub(crate) fn set_tos_v4(s: BorrowedSocket<'_>, tos: u32) -> io::Result<()> {
    setsockopt(s, ws::IPPROTO_IP, ws::IP_TOS, clamp_int(tos))
        .map_err(|e| named_family(s, Family::V4, "set_tos_v4: socket is not IPv4", e))
}

/// `IP_TOS`.
pub(crate) fn tos_v4(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_TOS)
        .map_err(|e| named_family(s, Family::V4, "tos_v4: socket is not IPv4", e))
}
