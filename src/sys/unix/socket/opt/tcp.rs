//! TCP options: Nagle's algorithm and keep-alive.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use libc::c_int;

use libc as c;

use super::{getsockopt, setsockopt, uint, Flag};
use crate::sys::socket_api::{clamp_int, unsupported, whole_secs, KeepaliveParams};

crate::sys::socket_api::plain_options!(tcp);

/// The option for the idle time before the first probe, in seconds: `TCP_KEEPALIVE` on Apple
/// systems, `TCP_KEEPIDLE` elsewhere (DragonFly took milliseconds before 5.8; current
/// releases take seconds). OpenBSD and Haiku have only the system-wide setting.
#[cfg(ferrio_keepalive_opt)]
const KEEPALIVE_TIME: Option<c_int> = Some(libc::TCP_KEEPALIVE);
#[cfg(all(ferrio_keepalive_params, not(ferrio_keepalive_opt)))]
const KEEPALIVE_TIME: Option<c_int> = Some(libc::TCP_KEEPIDLE);
#[cfg(not(ferrio_keepalive_params))]
const KEEPALIVE_TIME: Option<c_int> = None;

/// `TCP_KEEPINTVL` (seconds between probes) and `TCP_KEEPCNT` (probes before giving up).
#[cfg(ferrio_keepalive_params)]
const KEEPALIVE_PROBES: Option<(c_int, c_int)> = Some((libc::TCP_KEEPINTVL, libc::TCP_KEEPCNT));
#[cfg(not(ferrio_keepalive_params))]
const KEEPALIVE_PROBES: Option<(c_int, c_int)> = None;

/// Turns `SO_KEEPALIVE` on and sets the parameters that are `Some`. A parameter the system
/// does not have fails with `Unsupported` before anything is changed.
pub(crate) fn set_tcp_keepalive(fd: BorrowedFd<'_>, params: KeepaliveParams) -> io::Result<()> {
    let (time, interval, retries) = params;
    if time.is_some() && KEEPALIVE_TIME.is_none() {
        return Err(unsupported(
            "set_tcp_keepalive: this system has no per-socket keep-alive time",
        ));
    }
    if (interval.is_some() || retries.is_some()) && KEEPALIVE_PROBES.is_none() {
        return Err(unsupported(
            "set_tcp_keepalive: this system has no per-socket keep-alive interval or retry count",
        ));
    }
    set_keepalive(fd, true)?;
    let secs = |d: Duration| whole_secs(d, c_int::MAX as u64) as c_int;
    if let (Some(time), Some(name)) = (time, KEEPALIVE_TIME) {
        setsockopt(fd, libc::IPPROTO_TCP, name, secs(time))?;
    }
    if let Some((intvl_name, cnt_name)) = KEEPALIVE_PROBES {
        if let Some(interval) = interval {
            setsockopt(fd, libc::IPPROTO_TCP, intvl_name, secs(interval))?;
        }
        if let Some(retries) = retries {
            setsockopt(fd, libc::IPPROTO_TCP, cnt_name, clamp_int(retries))?;
        }
    }
    Ok(())
}

/// The keep-alive parameters this system has, as the kernel reports them.
pub(crate) fn tcp_keepalive(fd: BorrowedFd<'_>) -> io::Result<KeepaliveParams> {
    let secs = |name| uint(fd, libc::IPPROTO_TCP, name).map(|s| Duration::from_secs(s.into()));
    let time = KEEPALIVE_TIME.map(secs).transpose()?;
    let (interval, retries) = match KEEPALIVE_PROBES {
        Some((intvl_name, cnt_name)) => (
            Some(secs(intvl_name)?),
            Some(uint(fd, libc::IPPROTO_TCP, cnt_name)?),
        ),
        None => (None, None),
    };
    Ok((time, interval, retries))
}
