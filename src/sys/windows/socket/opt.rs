//! Socket options on Windows: those std has, and the configuration options beyond std
//! (reuse, linger, keep-alive, buffer sizes, type of service).

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::windows::io::BorrowedSocket;
use std::time::Duration;

use windows_sys::Win32::Networking::WinSock::{
    self as ws, IN6_ADDR, IN6_ADDR_0, IN_ADDR, IN_ADDR_0, IPV6_MREQ, IP_MREQ, LINGER,
};

use super::{cvt, raw, KeepaliveParams};

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

fn setsockopt<T: Copy>(s: BorrowedSocket<'_>, level: i32, name: i32, value: T) -> io::Result<()> {
    // SAFETY: `value` is readable for its size, which is what the option takes.
    cvt(unsafe {
        ws::setsockopt(
            raw(s),
            level,
            name,
            &value as *const T as *const u8,
            mem::size_of::<T>() as i32,
        )
    })
    .map(drop)
}

/// Reads an option of type `T` (plain data: integers or C structs of them). The value starts
/// zeroed, so an option the system writes with fewer bytes (a one-byte BOOL) reads correctly.
fn getsockopt<T: Copy + Default>(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<T> {
    let mut value = T::default();
    let mut len = mem::size_of::<T>() as i32;
    // SAFETY: `value` is writable for `len` bytes.
    cvt(unsafe {
        ws::getsockopt(
            raw(s),
            level,
            name,
            &mut value as *mut T as *mut u8,
            &mut len,
        )
    })?;
    Ok(value)
}

fn set_flag(s: BorrowedSocket<'_>, level: i32, name: i32, on: bool) -> io::Result<()> {
    setsockopt(s, level, name, u32::from(on))
}

fn flag(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<bool> {
    getsockopt::<u32>(s, level, name).map(|v| v != 0)
}

fn set_u32(s: BorrowedSocket<'_>, level: i32, name: i32, v: u32) -> io::Result<()> {
    setsockopt(s, level, name, v)
}

fn get_u32(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<u32> {
    getsockopt::<u32>(s, level, name)
}

/// Returns and clears the pending error (`SO_ERROR`).
pub(crate) fn take_error(s: BorrowedSocket<'_>) -> io::Result<Option<io::Error>> {
    let code: i32 = getsockopt(s, ws::SOL_SOCKET, ws::SO_ERROR)?;
    Ok((code != 0).then(|| io::Error::from_raw_os_error(code)))
}

/// `IP_TTL`.
pub(crate) fn set_ttl(s: BorrowedSocket<'_>, ttl: u32) -> io::Result<()> {
    set_u32(s, ws::IPPROTO_IP, ws::IP_TTL, ttl)
}

/// `IP_TTL`.
pub(crate) fn ttl(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_TTL)
}

/// `TCP_NODELAY`.
pub(crate) fn set_nodelay(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_TCP, ws::TCP_NODELAY, on)
}

/// `TCP_NODELAY`.
pub(crate) fn nodelay(s: BorrowedSocket<'_>) -> io::Result<bool> {
    getsockopt::<u8>(s, ws::IPPROTO_TCP, ws::TCP_NODELAY).map(|v| v != 0)
}

/// `SO_BROADCAST`.
pub(crate) fn set_broadcast(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::SOL_SOCKET, ws::SO_BROADCAST, on)
}

/// `SO_BROADCAST`.
pub(crate) fn broadcast(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::SOL_SOCKET, ws::SO_BROADCAST)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v4(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP, on)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v4(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP)
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn set_multicast_ttl_v4(s: BorrowedSocket<'_>, ttl: u32) -> io::Result<()> {
    set_u32(s, ws::IPPROTO_IP, ws::IP_MULTICAST_TTL, ttl)
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn multicast_ttl_v4(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_MULTICAST_TTL)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v6(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP, on)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v6(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP)
}

/// `IPV6_V6ONLY`.
pub(crate) fn only_v6(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IPV6, ws::IPV6_V6ONLY)
}

/// `IP_ADD_MEMBERSHIP` (`join`) or `IP_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v4(
    s: BorrowedSocket<'_>,
    join: bool,
    group: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let in_addr = |a: &Ipv4Addr| IN_ADDR {
        S_un: IN_ADDR_0 {
            S_addr: u32::from_ne_bytes(a.octets()),
        },
    };
    let mreq = IP_MREQ {
        imr_multiaddr: in_addr(group),
        imr_interface: in_addr(interface),
    };
    let name = if join {
        ws::IP_ADD_MEMBERSHIP
    } else {
        ws::IP_DROP_MEMBERSHIP
    };
    setsockopt(s, ws::IPPROTO_IP, name, mreq)
}

/// `IPV6_ADD_MEMBERSHIP` (`join`) or `IPV6_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v6(
    s: BorrowedSocket<'_>,
    join: bool,
    group: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    let mreq = IPV6_MREQ {
        ipv6mr_multiaddr: IN6_ADDR {
            u: IN6_ADDR_0 {
                Byte: group.octets(),
            },
        },
        ipv6mr_interface: interface,
    };
    let name = if join {
        ws::IPV6_ADD_MEMBERSHIP
    } else {
        ws::IPV6_DROP_MEMBERSHIP
    };
    setsockopt(s, ws::IPPROTO_IPV6, name, mreq)
}

// ---------------------------------------------------------------------------------------------
// Configuration beyond std
// ---------------------------------------------------------------------------------------------

/// A duration in whole milliseconds, rounded up, at most `max`.
fn whole_millis(d: Duration, max: u64) -> u64 {
    let millis = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 > 0);
    millis.min(u128::from(max)) as u64
}

fn whole_secs(d: Duration, max: u64) -> u64 {
    d.as_secs()
        .saturating_add(u64::from(d.subsec_nanos() > 0))
        .min(max)
}

/// `SO_REUSEADDR`. On Windows this lets another socket bind the same port even while this
/// one is active: ferrio never sets it on its own.
pub(crate) fn set_reuseaddr(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::SOL_SOCKET, ws::SO_REUSEADDR, on)
}

/// `SO_REUSEADDR`.
pub(crate) fn reuseaddr(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::SOL_SOCKET, ws::SO_REUSEADDR)
}

/// `IPV6_V6ONLY`, set before binding.
pub(crate) fn set_only_v6(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IPV6, ws::IPV6_V6ONLY, on)
}

/// `IPV6_V6ONLY`, read from a socket that is being configured.
pub(crate) fn only_v6_named(s: BorrowedSocket<'_>) -> io::Result<bool> {
    only_v6(s)
}

/// `SO_LINGER` (whole seconds, rounded up, at most `u16::MAX`).
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

/// `SO_KEEPALIVE`.
pub(crate) fn set_keepalive(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::SOL_SOCKET, ws::SO_KEEPALIVE, on)
}

/// `SO_KEEPALIVE`.
pub(crate) fn keepalive(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::SOL_SOCKET, ws::SO_KEEPALIVE)
}

/// Whether the system has the per-socket keep-alive options (`TCP_KEEPIDLE`, `TCP_KEEPINTVL`,
/// `TCP_KEEPCNT`: Windows 10 1709 and later). Older systems (and Wine 8) refuse them with
/// `WSAENOPROTOOPT`; any other error is the caller's to see.
fn has_keepalive_options(s: BorrowedSocket<'_>) -> io::Result<bool> {
    match get_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPIDLE) {
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
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "keep-alive retries need TCP_KEEPCNT (Windows 10 1709 or later)",
            ));
        }
        let millis = |d: Duration| whole_millis(d, u64::from(u32::MAX)) as u32;
        let values = ws::tcp_keepalive {
            onoff: 1,
            keepalivetime: time.map_or(DEFAULT_KEEPALIVE_TIME_MS, millis),
            keepaliveinterval: interval.map_or(DEFAULT_KEEPALIVE_INTERVAL_MS, millis),
        };
        let mut returned = 0u32;
        // SAFETY: the input buffer is `values`, readable for its size; no output buffer is
        // passed, `returned` is writable, and the call is synchronous (no OVERLAPPED).
        cvt(unsafe {
            ws::WSAIoctl(
                raw(s),
                ws::SIO_KEEPALIVE_VALS,
                &values as *const ws::tcp_keepalive as *const core::ffi::c_void,
                mem::size_of::<ws::tcp_keepalive>() as u32,
                std::ptr::null_mut(),
                0,
                &mut returned,
                std::ptr::null_mut(),
                None,
            )
        })?;
        // SIO_KEEPALIVE_VALS turns keep-alive on as well; SO_KEEPALIVE says so to readers.
        return set_keepalive(s, true);
    }
    set_keepalive(s, true)?;
    let secs = |d: Duration| whole_secs(d, i32::MAX as u64) as u32;
    if let Some(time) = time {
        set_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPIDLE, secs(time))?;
    }
    if let Some(interval) = interval {
        set_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPINTVL, secs(interval))?;
    }
    if let Some(retries) = retries {
        set_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPCNT, retries)?;
    }
    Ok(())
}

/// The keep-alive parameters, as the system reports them; all `None` where the system lacks
/// the `TCP_KEEP*` options (`SIO_KEEPALIVE_VALS` cannot be read back).
pub(crate) fn tcp_keepalive(s: BorrowedSocket<'_>) -> io::Result<KeepaliveParams> {
    if !has_keepalive_options(s)? {
        return Ok((None, None, None));
    }
    let secs = |name| get_u32(s, ws::IPPROTO_TCP, name).map(|v| Duration::from_secs(v.into()));
    Ok((
        Some(secs(ws::TCP_KEEPIDLE)?),
        Some(secs(ws::TCP_KEEPINTVL)?),
        Some(get_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPCNT)?),
    ))
}

/// `SO_RCVBUF`.
pub(crate) fn set_recv_buffer_size(s: BorrowedSocket<'_>, size: u32) -> io::Result<()> {
    set_u32(s, ws::SOL_SOCKET, ws::SO_RCVBUF, size.min(i32::MAX as u32))
}

/// `SO_RCVBUF`.
pub(crate) fn recv_buffer_size(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::SOL_SOCKET, ws::SO_RCVBUF)
}

/// `SO_SNDBUF`.
pub(crate) fn set_send_buffer_size(s: BorrowedSocket<'_>, size: u32) -> io::Result<()> {
    set_u32(s, ws::SOL_SOCKET, ws::SO_SNDBUF, size.min(i32::MAX as u32))
}

/// `SO_SNDBUF`.
pub(crate) fn send_buffer_size(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::SOL_SOCKET, ws::SO_SNDBUF)
}

/// `IP_TOS`.
pub(crate) fn set_tos_v4(s: BorrowedSocket<'_>, tos: u32) -> io::Result<()> {
    set_u32(s, ws::IPPROTO_IP, ws::IP_TOS, tos)
}

/// `IP_TOS`.
pub(crate) fn tos_v4(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_TOS)
}
