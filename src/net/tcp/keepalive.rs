use std::time::Duration;

/// TCP keep-alive parameters, for [`TcpSocket::set_tcp_keepalive`] and
/// [`TcpStream::set_tcp_keepalive`] (the same shape as socket2's type of the same name).
///
/// A connection with keep-alive on that has been idle for [`time`](TcpKeepalive::with_time)
/// gets a probe every [`interval`](TcpKeepalive::with_interval); after
/// [`retries`](TcpKeepalive::with_retries) unanswered probes the connection is dropped and the
/// next operation on it fails (`ETIMEDOUT`). A parameter left out keeps the socket's current
/// value (the system default, unless it was set before).
///
/// Times are passed to the kernel in whole seconds; a fraction of a second counts as a full
/// second. The type exists on all Unix systems and on Windows; which parameters take effect
/// depends on the system:
///
/// | parameter  | Linux, Android, FreeBSD, DragonFly, NetBSD, illumos, Solaris | Apple systems   | OpenBSD, Haiku, others |
/// |------------|-----------------------------------------------|-----------------|------------------------|
/// | `time`     | `TCP_KEEPIDLE`                                | `TCP_KEEPALIVE` | `Unsupported`          |
/// | `interval` | `TCP_KEEPINTVL`                               | `TCP_KEEPINTVL` | `Unsupported`          |
/// | `retries`  | `TCP_KEEPCNT`                                 | `TCP_KEEPCNT`   | `Unsupported`          |
///
/// (Fuchsia, AIX, Hurd and Cygwin are like Linux.) On Windows the parameters are
/// `TCP_KEEPIDLE`, `TCP_KEEPINTVL` and `TCP_KEEPCNT` (Windows 10 1709 and later); where the
/// system lacks them, `time` and `interval` are set with `SIO_KEEPALIVE_VALS` (a parameter left
/// out then takes the system default, not the socket's current value), `retries` is
/// `Unsupported`, and [`tcp_keepalive`](crate::net::TcpSocket::tcp_keepalive) reports every
/// parameter as `None`. Where a parameter is `Unsupported`, a
/// [`set_tcp_keepalive`](crate::net::TcpSocket::set_tcp_keepalive) that asks for it fails with
/// [`ErrorKind::Unsupported`](std::io::ErrorKind::Unsupported) and changes nothing, and
/// [`tcp_keepalive`](crate::net::TcpSocket::tcp_keepalive) reports it as `None`; plain keep-alive
/// ([`set_keepalive`](crate::net::TcpSocket::set_keepalive)) works everywhere, with the system-wide
/// timing.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::{TcpKeepalive, TcpSocket};
/// use std::time::Duration;
///
/// let keepalive = TcpKeepalive::new()
///     .with_time(Duration::from_secs(60))
///     .with_interval(Duration::from_secs(10))
///     .with_retries(5);
/// let socket = TcpSocket::new_v4()?;
/// # #[cfg(windows)] // Before Windows 10 1709 (and in Wine 8) retries cannot be set.
/// # if let Err(e) = socket.set_tcp_keepalive(&keepalive) {
/// #     assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
/// #     return Ok(());
/// # }
/// # #[cfg(not(windows))]
/// socket.set_tcp_keepalive(&keepalive)?;
/// assert!(socket.keepalive()?);
/// # #[cfg(target_os = "linux")]
/// assert_eq!(socket.tcp_keepalive()?, keepalive);
/// # Ok(())
/// # }
/// ```
///
/// [`TcpSocket::set_tcp_keepalive`]: crate::net::TcpSocket::set_tcp_keepalive
/// [`TcpStream::set_tcp_keepalive`]: crate::net::TcpStream::set_tcp_keepalive
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TcpKeepalive {
    time: Option<Duration>,
    interval: Option<Duration>,
    retries: Option<u32>,
}

impl TcpKeepalive {
    /// Parameters that change nothing: every value stays as it is.
    pub const fn new() -> TcpKeepalive {
        TcpKeepalive {
            time: None,
            interval: None,
            retries: None,
        }
    }

    /// How long a connection must be idle before the first probe.
    pub const fn with_time(self, time: Duration) -> TcpKeepalive {
        TcpKeepalive {
            time: Some(time),
            ..self
        }
    }

    /// How long to wait between unanswered probes.
    pub const fn with_interval(self, interval: Duration) -> TcpKeepalive {
        TcpKeepalive {
            interval: Some(interval),
            ..self
        }
    }

    /// How many unanswered probes drop the connection.
    pub const fn with_retries(self, retries: u32) -> TcpKeepalive {
        TcpKeepalive {
            retries: Some(retries),
            ..self
        }
    }

    /// The idle time, if set (or, from `tcp_keepalive()`, if the system has it).
    pub const fn time(&self) -> Option<Duration> {
        self.time
    }

    /// The probe interval, if set (or, from `tcp_keepalive()`, if the system has it).
    pub const fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// The probe count, if set (or, from `tcp_keepalive()`, if the system has it).
    pub const fn retries(&self) -> Option<u32> {
        self.retries
    }

    pub(crate) fn to_params(self) -> crate::sys::socket::KeepaliveParams {
        (self.time, self.interval, self.retries)
    }

    pub(crate) fn from_params(
        (time, interval, retries): crate::sys::socket::KeepaliveParams,
    ) -> TcpKeepalive {
        TcpKeepalive {
            time,
            interval,
            retries,
        }
    }
}
