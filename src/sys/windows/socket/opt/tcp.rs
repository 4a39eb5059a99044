//! TCP options: Nagle's algorithm and keep-alive.

use std::io;
use std::mem;
use std::os::windows::io::BorrowedSocket;
use std::time::Duration;

use windows_sys::Win32::Networking::WinSock::{self as ws, self as c};

use super::super::{cvt, raw};
use super::{getsockopt, setsockopt, uint, Flag};
use crate::sys::socket_api::{clamp_int, unsupported, whole_secs, KeepaliveParams};

crate::sys::socket_api::plain_options!(tcp);

/// A duration in whole milliseconds, rounded up, at most `max`.
fn whole_millis(d: Duration, max: u64) -> u64 {
    let millis = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 > 0);
    millis.min(u128::from(max)) as u64
}

/// Whether the system has the per-socket keep-alive options (`TCP_KEEPIDLE`, `TCP_KEEPINTVL`,
/// `TCP_KEEPCNT`: Windows 10 1709 and later). Older systems (and Wine 8) refuse them with
/// `WSAENOPROTOOPT`; any other error is the caller's to see.
fn has_keepalive_options(s: BorrowedSocket<'_>) -> io::Result<bool> {
    match uint(s, ws::IPPROTO_TCP, ws::TCP_KEEPIDLE) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(ws::WSAENOPROTOOPT) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The system's keep-alive timing where a parameter is not given to `SIO_KEEPALIVE_VALS`,
/// which always takes both: two hours idle, one second between probes.
const DEFAULT_KEEPALIVE_TIME_MS: u32 = 2 * 60 * 60 * 1000;
const DEFAULT_KEEPALIVE_INTERVAL_MS: u32 = 1000;

/// Turns `SO_KEEPALIVE` on and sets `TCP_KEEPIDLE`, `TCP_KEEPINTVL` and `TCP_KEEPCNT` (in
/// seconds) for the parameters that are `Some`.
///
/// Where the system lacks these options (before Windows 10 1709, and Wine 8), the time and
/// interval are set with `SIO_KEEPALIVE_VALS` instead (milliseconds; one that is `None` takes
/// the system default, as that call always sets both), and asking for `retries`, which
/// only `TCP_KEEPCNT` can set, fails with `Unsupported` before anything is changed.
pub(crate) fn set_tcp_keepalive(s: BorrowedSocket<'_>, params: KeepaliveParams) -> io::Result<()> {
    let (time, interval, retries) = params;
    if !has_keepalive_options(s)? {
        if retries.is_some() {
            return Err(unsupported(
                "keep-alive retries need TCP_KEEPCNT (Windows 10 1709 or later)",
            ));
        }
        return keepalive_vals(s, time, interval);
    }
    set_keepalive(s, true)?;
    let secs = |d: Duration| whole_secs(d, i32::MAX as u64) as i32;
    if let Some(time) = time {
        setsockopt(s, ws::IPPROTO_TCP, ws::TCP_KEEPIDLE, secs(time))?;
    }
    if let Some(interval) = interval {
        setsockopt(s, ws::IPPROTO_TCP, ws::TCP_KEEPINTVL, secs(interval))?;
    }
    if let Some(retries) = retries {
        setsockopt(s, ws::IPPROTO_TCP, ws::TCP_KEEPCNT, clamp_int(retries))?;
    }
    Ok(())
}

/// Keep-alive on with the given timing through `SIO_KEEPALIVE_VALS`, for systems without the
/// `TCP_KEEP*` options.
fn keepalive_vals(
    s: BorrowedSocket<'_>,
    time: Option<Duration>,
    interval: Option<Duration>,
) -> io::Result<()> {
    let millis = |d: Duration| whole_millis(d, u64::from(u32::MAX)) as u32;
    let values = ws::tcp_keepalive {
        onoff: 1,
        keepalivetime: time.map_or(DEFAULT_KEEPALIVE_TIME_MS, millis),
        keepaliveinterval: interval.map_or(DEFAULT_KEEPALIVE_INTERVAL_MS, millis),
    };
    let input = &values as *const ws::tcp_keepalive as *const core::ffi::c_void;
    let input_len = mem::size_of::<ws::tcp_keepalive>() as u32;
    let mut returned = 0u32;
    // SAFETY: `input` points to `values`, readable for `input_len` bytes for the whole call;
    // no output buffer is passed (null, length 0); `returned` is a live, writable local; the
    // call is synchronous (no OVERLAPPED, no completion routine).
    cvt(unsafe {
        ws::WSAIoctl(
            raw(s),
            ws::SIO_KEEPALIVE_VALS,
            input,
            input_len,
            std::ptr::null_mut(),
            0,
            &mut returned,
            std::ptr::null_mut(),
            None,
        )
    })?;
    // SIO_KEEPALIVE_VALS turns keep-alive on as well; SO_KEEPALIVE says so to readers.
    set_keepalive(s, true)
}

/// The keep-alive parameters, as the system reports them; all `None` where the system lacks
/// the `TCP_KEEP*` options (`SIO_KEEPALIVE_VALS` cannot be read back).
pub(crate) fn tcp_keepalive(s: BorrowedSocket<'_>) -> io::Result<KeepaliveParams> {
    if !has_keepalive_options(s)? {
        return Ok((None, None, None));
    }
    let secs = |name| uint(s, ws::IPPROTO_TCP, name).map(|v| Duration::from_secs(v.into()));
    Ok((
        Some(secs(ws::TCP_KEEPIDLE)?),
        Some(secs(ws::TCP_KEEPINTVL)?),
        Some(uint(s, ws::IPPROTO_TCP, ws::TCP_KEEPCNT)?),
    ))
}
