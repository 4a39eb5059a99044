//! Socket options that configure a socket before it binds or connects (and, where they still
//! have an effect, afterwards): address and port reuse, IPv6-only, device binding, linger,
//! keep-alive, buffer sizes and the traffic class.
//!
//! Options the target does not have are either absent (the public method is compiled out, as
//! tokio does for the same method) or fail with `ErrorKind::Unsupported` before any system
//! call; which one is documented on each public method. An option of the other address family
//! (`IPV6_TCLASS` on an IPv4 socket, ...) fails with `ErrorKind::InvalidInput` and a message
//! that names the method. That check costs nothing on success: the family is looked up only
//! after the OS has refused the option.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use libc::c_int;

use super::addr::family;
use super::opt::{flag, getsockopt, set_flag, setsockopt};

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// An option the target does not have. Allocates only on this error path.
fn unsupported(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, message)
}

/// Turns the OS's refusal of an option of family `want` into an error that names the method,
/// when the socket turns out to be of the other IP family. Any other error stays the OS error.
fn of_family<T>(
    fd: BorrowedFd<'_>,
    want: c_int,
    message: &'static str,
    result: io::Result<T>,
) -> io::Result<T> {
    match result {
        Err(e) => match family(fd) {
            Ok(f) if f != want && (f == libc::AF_INET || f == libc::AF_INET6) => {
                Err(io::Error::new(io::ErrorKind::InvalidInput, message))
            }
            _ => Err(e),
        },
        ok => ok,
    }
}

/// A duration as whole seconds for the kernel: a fraction of a second counts as a full second
/// (so a short non-zero time never becomes 0, which means "off" or is refused), and anything
/// beyond `max` is clamped to it.
fn whole_secs(d: Duration, max: u64) -> u64 {
    let secs = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
    secs.min(max)
}

/// A `u32` option value as the C `int` the kernel takes, clamped rather than wrapped.
fn clamp_int(v: u32) -> c_int {
    v.min(c_int::MAX as u32) as c_int
}

// ---------------------------------------------------------------------------------------------
// Binding: reuse, IPv6-only, device
// ---------------------------------------------------------------------------------------------

/// `SO_REUSEADDR`.
pub(crate) fn set_reuseaddr(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, on)
}

/// `SO_REUSEADDR`.
pub(crate) fn reuseaddr(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR)
}

/// `SO_REUSEPORT` (compiled where libc defines it; the public methods use the same list).
#[cfg(ferrio_reuseport)]
pub(crate) fn set_reuseport(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, on)
}

/// `SO_REUSEPORT`.
#[cfg(ferrio_reuseport)]
pub(crate) fn reuseport(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT)
}

/// `IPV6_V6ONLY`, with the family named on an IPv4 socket.
pub(crate) fn set_only_v6(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    let r = set_flag(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, on);
    of_family(fd, libc::AF_INET6, "set_only_v6: socket is not IPv6", r)
}

/// `IPV6_V6ONLY`, with the family named on an IPv4 socket. (`UdpSocket::only_v6`, part of
/// the mio surface, keeps the plain OS error: it calls `opt::only_v6`.)
pub(crate) fn only_v6_named(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let r = flag(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY);
    of_family(fd, libc::AF_INET6, "only_v6: socket is not IPv6", r)
}

/// `SO_BINDTODEVICE`: `None` or an empty name removes the binding.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
pub(crate) fn bind_device(fd: BorrowedFd<'_>, interface: Option<&[u8]>) -> io::Result<()> {
    let name = interface.unwrap_or(&[]);
    let ptr = if name.is_empty() {
        std::ptr::null()
    } else {
        name.as_ptr()
    };
    use std::os::fd::AsRawFd;
    // SAFETY: `ptr` is null with length 0, or points to `name.len()` readable bytes; the
    // kernel copies at most that many.
    super::cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            ptr.cast(),
            name.len() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// `SO_BINDTODEVICE`: the interface name without its NUL, or `None` if unbound.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
pub(crate) fn device(fd: BorrowedFd<'_>) -> io::Result<Option<Vec<u8>>> {
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; libc::IFNAMSIZ];
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` is writable for `len` bytes; the kernel writes at most that many.
    super::cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    })?;
    let name = &buf[..(len as usize).min(buf.len())];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok(if end == 0 {
        None
    } else {
        Some(name[..end].to_vec())
    })
}

/// `IP_BIND_ADDRESS_NO_PORT` (Linux 4.2+): a bind to port 0 leaves the port to `connect`,
/// which can then share a local port among connections to different peers.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn set_bind_address_no_port(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT, on)
}

// ---------------------------------------------------------------------------------------------
// Linger and keep-alive
// ---------------------------------------------------------------------------------------------

/// Apple's `SO_LINGER` counts clock ticks; `SO_LINGER_SEC` takes seconds like everyone else.
#[cfg(target_vendor = "apple")]
const LINGER: c_int = libc::SO_LINGER_SEC;
#[cfg(not(target_vendor = "apple"))]
const LINGER: c_int = libc::SO_LINGER;

/// The largest linger time the C struct holds (its fields are `unsigned short` on Cygwin).
#[cfg(target_os = "cygwin")]
const LINGER_MAX: u64 = u16::MAX as u64;
#[cfg(not(target_os = "cygwin"))]
const LINGER_MAX: u64 = c_int::MAX as u64;

/// `SO_LINGER`: `Some(time)` makes close wait (at most `time`, whole seconds rounded up) for
/// unsent data; `Some(ZERO)` makes close reset the connection; `None` is the default.
pub(crate) fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: linger.is_some() as _,
        l_linger: linger.map_or(0, |d| whole_secs(d, LINGER_MAX)) as _,
    };
    setsockopt(fd, libc::SOL_SOCKET, LINGER, value)
}

/// `SO_LINGER`.
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let value: libc::linger = getsockopt(fd, libc::SOL_SOCKET, LINGER)?;
    Ok(if value.l_onoff == 0 {
        None
    } else {
        Some(Duration::from_secs(value.l_linger.max(0) as u64))
    })
}

/// `SO_KEEPALIVE`.
pub(crate) fn set_keepalive(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_flag(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, on)
}

/// `SO_KEEPALIVE`.
pub(crate) fn keepalive(fd: BorrowedFd<'_>) -> io::Result<bool> {
    flag(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE)
}

/// The option for the idle time before the first probe, in seconds: `TCP_KEEPALIVE` on Apple
/// systems, `TCP_KEEPIDLE` elsewhere (DragonFly took milliseconds before 5.8; current
/// releases take seconds). OpenBSD and Haiku have only the system-wide setting.
#[cfg(target_vendor = "apple")]
const KEEPALIVE_TIME: Option<c_int> = Some(libc::TCP_KEEPALIVE);
#[cfg(all(ferrio_keepalive_params, not(target_vendor = "apple")))]
const KEEPALIVE_TIME: Option<c_int> = Some(libc::TCP_KEEPIDLE);
#[cfg(not(ferrio_keepalive_params))]
const KEEPALIVE_TIME: Option<c_int> = None;

/// `TCP_KEEPINTVL` (seconds between probes) and `TCP_KEEPCNT` (probes before giving up).
#[cfg(ferrio_keepalive_params)]
const KEEPALIVE_PROBES: Option<(c_int, c_int)> = Some((libc::TCP_KEEPINTVL, libc::TCP_KEEPCNT));
#[cfg(not(ferrio_keepalive_params))]
const KEEPALIVE_PROBES: Option<(c_int, c_int)> = None;

/// Keep-alive parameters: idle time, probe interval, probe count. `None` means "leave as is"
/// when setting and "this system has no such option" when reading.
pub(crate) type KeepaliveParams = (Option<Duration>, Option<Duration>, Option<u32>);

/// Turns `SO_KEEPALIVE` on and sets the parameters that are `Some`. A parameter the system
/// does not have fails with `Unsupported` before anything is changed.
pub(crate) fn set_tcp_keepalive(fd: BorrowedFd<'_>, params: KeepaliveParams) -> io::Result<()> {
    let (time, interval, retries) = params;
    let time_opt = match (time, KEEPALIVE_TIME) {
        (Some(_), None) => {
            return Err(unsupported(
                "set_tcp_keepalive: this system has no per-socket keep-alive time",
            ))
        }
        (t, name) => t.zip(name),
    };
    let probes = match ((interval, retries), KEEPALIVE_PROBES) {
        ((None, None), _) => None,
        (_, None) => return Err(unsupported(
            "set_tcp_keepalive: this system has no per-socket keep-alive interval or retry count",
        )),
        (params, Some(names)) => Some((params, names)),
    };
    set_keepalive(fd, true)?;
    if let Some((time, name)) = time_opt {
        let secs = whole_secs(time, c_int::MAX as u64) as c_int;
        setsockopt(fd, libc::IPPROTO_TCP, name, secs)?;
    }
    if let Some(((interval, retries), (intvl_name, cnt_name))) = probes {
        if let Some(interval) = interval {
            let secs = whole_secs(interval, c_int::MAX as u64) as c_int;
            setsockopt(fd, libc::IPPROTO_TCP, intvl_name, secs)?;
        }
        if let Some(retries) = retries {
            setsockopt(fd, libc::IPPROTO_TCP, cnt_name, clamp_int(retries))?;
        }
    }
    Ok(())
}

/// The keep-alive parameters this system has, as the kernel reports them.
pub(crate) fn tcp_keepalive(fd: BorrowedFd<'_>) -> io::Result<KeepaliveParams> {
    let secs = |name| {
        getsockopt::<c_int>(fd, libc::IPPROTO_TCP, name)
            .map(|s| Duration::from_secs(s.max(0) as u64))
    };
    let time = KEEPALIVE_TIME.map(secs).transpose()?;
    let (interval, retries) = match KEEPALIVE_PROBES {
        Some((intvl_name, cnt_name)) => (
            Some(secs(intvl_name)?),
            Some(getsockopt::<c_int>(fd, libc::IPPROTO_TCP, cnt_name)?.max(0) as u32),
        ),
        None => (None, None),
    };
    Ok((time, interval, retries))
}

// ---------------------------------------------------------------------------------------------
// Buffers and traffic class
// ---------------------------------------------------------------------------------------------

/// `SO_RCVBUF` (clamped to `c_int::MAX`; Linux doubles the value for its bookkeeping).
pub(crate) fn set_recv_buffer_size(fd: BorrowedFd<'_>, size: u32) -> io::Result<()> {
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, clamp_int(size))
}

/// `SO_RCVBUF`.
pub(crate) fn recv_buffer_size(fd: BorrowedFd<'_>) -> io::Result<u32> {
    getsockopt::<c_int>(fd, libc::SOL_SOCKET, libc::SO_RCVBUF).map(|v| v.max(0) as u32)
}

/// `SO_SNDBUF` (clamped like `SO_RCVBUF`).
pub(crate) fn set_send_buffer_size(fd: BorrowedFd<'_>, size: u32) -> io::Result<()> {
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, clamp_int(size))
}

/// `SO_SNDBUF`.
pub(crate) fn send_buffer_size(fd: BorrowedFd<'_>) -> io::Result<u32> {
    getsockopt::<c_int>(fd, libc::SOL_SOCKET, libc::SO_SNDBUF).map(|v| v.max(0) as u32)
}

/// `IP_TOS`. Linux also applies it to IPv6 sockets (for IPv4-mapped traffic); where an IPv6
/// socket refuses it, the error names the method.
pub(crate) fn set_tos_v4(fd: BorrowedFd<'_>, tos: u32) -> io::Result<()> {
    let r = setsockopt(fd, libc::IPPROTO_IP, libc::IP_TOS, clamp_int(tos));
    of_family(fd, libc::AF_INET, "set_tos_v4: socket is not IPv4", r)
}

/// `IP_TOS`.
pub(crate) fn tos_v4(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let r = getsockopt::<c_int>(fd, libc::IPPROTO_IP, libc::IP_TOS).map(|v| v.max(0) as u32);
    of_family(fd, libc::AF_INET, "tos_v4: socket is not IPv4", r)
}

/// `IPV6_TCLASS` (compiled where libc defines it; the public methods use the same list).
#[cfg(ferrio_tclass_v6)]
pub(crate) fn set_tclass_v6(fd: BorrowedFd<'_>, tclass: u32) -> io::Result<()> {
    let r = setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS, clamp_int(tclass));
    of_family(fd, libc::AF_INET6, "set_tclass_v6: socket is not IPv6", r)
}

/// `IPV6_TCLASS`.
#[cfg(ferrio_tclass_v6)]
pub(crate) fn tclass_v6(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let r = getsockopt::<c_int>(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS).map(|v| v.max(0) as u32);
    of_family(fd, libc::AF_INET6, "tclass_v6: socket is not IPv6", r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up_and_clamp() {
        assert_eq!(whole_secs(Duration::ZERO, 100), 0);
        assert_eq!(whole_secs(Duration::from_millis(1), 100), 1);
        assert_eq!(whole_secs(Duration::from_secs(5), 100), 5);
        assert_eq!(whole_secs(Duration::from_millis(5_001), 100), 6);
        assert_eq!(whole_secs(Duration::MAX, 100), 100);
        assert_eq!(clamp_int(u32::MAX), c_int::MAX);
        assert_eq!(clamp_int(7), 7);
    }
}
