//! Buffer sizes and linger: how much a socket holds, and how long closing waits for it.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

#[cfg(not(ferrio_no_linger))]
use libc::c_int;

use libc as c;

use super::{getsockopt, setsockopt, Int};
#[cfg(ferrio_no_linger)]
use crate::sys::socket_api::unsupported;
#[cfg(not(ferrio_no_linger))]
use crate::sys::socket_api::whole_secs;

crate::sys::socket_api::plain_options!(buffers);

/// Where `SO_LINGER` counts clock ticks (Apple's systems), `SO_LINGER_SEC` takes seconds like
/// everyone else's `SO_LINGER`.
#[cfg(all(ferrio_linger_sec, not(ferrio_no_linger)))]
const LINGER: c_int = libc::SO_LINGER_SEC;
#[cfg(not(any(ferrio_linger_sec, ferrio_no_linger)))]
const LINGER: c_int = libc::SO_LINGER;

/// The largest linger time the C struct holds (its fields are `unsigned short` on some systems: Cygwin).
#[cfg(all(ferrio_linger_u16, not(ferrio_no_linger)))]
const LINGER_MAX: u64 = u16::MAX as u64;
#[cfg(not(any(ferrio_linger_u16, ferrio_no_linger)))]
const LINGER_MAX: u64 = c_int::MAX as u64;

/// `SO_LINGER`: `Some(time)` makes close wait (at most `time`, whole seconds rounded up) for
/// unsent data; `Some(ZERO)` makes close reset the connection; `None` is the default.
#[cfg(not(ferrio_no_linger))]
pub(crate) fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: linger.is_some() as _,
        l_linger: linger.map_or(0, |d| whole_secs(d, LINGER_MAX)) as _,
    };
    setsockopt(fd, libc::SOL_SOCKET, LINGER, value)
}

/// `SO_LINGER`.
#[cfg(not(ferrio_no_linger))]
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let value: libc::linger = getsockopt(fd, libc::SOL_SOCKET, LINGER)?;
    // A C `int` (negative: none) except on Cygwin, where it is an `unsigned short`.
    #[allow(clippy::unnecessary_fallible_conversions)]
    let secs = u64::try_from(value.l_linger).unwrap_or(0);
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(secs)))
}

/// Without `struct linger` in libc (Hermit), `SO_LINGER` fails before any system call.
#[cfg(ferrio_no_linger)]
pub(crate) fn set_linger(_: BorrowedFd<'_>, _: Option<Duration>) -> io::Result<()> {
    Err(unsupported("SO_LINGER is not available on this system"))
}

/// See the `set_linger` above.
#[cfg(ferrio_no_linger)]
pub(crate) fn linger(_: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    Err(unsupported("SO_LINGER is not available on this system"))
}
