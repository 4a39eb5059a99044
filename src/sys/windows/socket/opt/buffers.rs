//! Buffer sizes and linger: how much a socket holds, and how long closing waits for it.

use std::io;
use std::os::windows::io::BorrowedSocket;
use std::time::Duration;

use windows_sys::Win32::Networking::WinSock::{self as ws, self as c, LINGER};

use super::{getsockopt, setsockopt, Int};
use crate::sys::socket_api::whole_secs;

crate::sys::socket_api::plain_options!(buffers);

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
