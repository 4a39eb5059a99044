//! Buffer sizes and linger: how much a socket holds, and how long closing waits for it.

use std::io;
use std::os::windows::io::BorrowedSocket;
use std::time::Duration;

use windows_sys::Win32::Networking::WinSock::{self as ws, LINGER};

use super::{get_u32, getsockopt, setsockopt};
use crate::sys::socket_api::{clamp_int, whole_secs};

/// `SO_RCVBUF` (clamped to `i32::MAX`).
pub(crate) fn set_recv_buffer_size(s: BorrowedSocket<'_>, size: u32) -> io::Result<()> {
    setsockopt(s, ws::SOL_SOCKET, ws::SO_RCVBUF, clamp_int(size))
}

/// `SO_RCVBUF`.
pub(crate) fn recv_buffer_size(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::SOL_SOCKET, ws::SO_RCVBUF)
}

/// `SO_SNDBUF` (clamped like `SO_RCVBUF`).
pub(crate) fn set_send_buffer_size(s: BorrowedSocket<'_>, size: u32) -> io::Result<()> {
    setsockopt(s, ws::SOL_SOCKET, ws::SO_SNDBUF, clamp_int(size))
}

/// `SO_SNDBUF`.
pub(crate) fn send_buffer_size(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::SOL_SOCKET, ws::SO_SNDBUF)
}

/// `SO_LINGER` (whole seconds, rounded up, at most `u16::MAX`: the C struct's fields are
/// `u_short`).
pub(crate) fn set_linger(s: BorrowedSocket<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = LINGER {
        l_onoff: u16::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| whole_secs(d, u64::from(u16::MAX))) as u16,
    };
    setsockopt(s, ws::SOL_SOCKET, ws::SO_LINGER, value)
}

/// `SO_LINGER`.
pub(crate) fn linger(s: BorrowedSocket<'_>) -> io::Result<Option<Duration>> {
    let value: LINGER = getsockopt(s, ws::SOL_SOCKET, ws::SO_LINGER)?;
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(u64::from(value.l_linger))))
}
