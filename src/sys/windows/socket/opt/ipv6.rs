//! IPv6 options: IPv6-only (Windows has no per-socket traffic class option ferrio offers).

use std::io;
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock as ws;

use super::{flag, named_family, set_flag};
use crate::sys::socket_api::Family;

/// `IPV6_V6ONLY`, set before binding.
pub(crate) fn set_only_v6(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IPV6, ws::IPV6_V6ONLY, on)
        .map_err(|e| named_family(s, Family::V6, "set_only_v6: socket is not IPv6", e))
}

/// `IPV6_V6ONLY`.
pub(crate) fn only_v6(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IPV6, ws::IPV6_V6ONLY)
}
