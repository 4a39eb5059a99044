//! The table of platform facts (part of the build script, `build.rs`): one cfg per thing only
//! some systems have, and the systems that have it. `build.rs` sets the cfgs a target's
//! systems have, declares them all to rustc's `unexpected_cfgs` check, checks the table's
//! promises between facts, and writes the docs.rs labels (`fact_gated!`) from it. Adding a
//! platform, or a fact, is an edit of this table alone.

/// A cfg set on the Unix systems (and WASI preview 2, whose `target_os` is `wasi`) that have
/// some feature.
pub(crate) struct Fact {
    pub(crate) cfg: &'static str,
    /// Also on Apple's systems (macOS, iOS, tvOS, visionOS, watchOS).
    pub(crate) apple: bool,
    /// The other systems (`target_os` values), separated by spaces; `os!arch` is `os` except
    /// on that `target_arch`.
    pub(crate) systems: &'static str,
}

/// Platform facts beyond the backend, each tested by the code as one cfg.
pub(crate) const UNIX_FACTS: &[Fact] = &[
    // SO_REUSEPORT: not on illumos, Solaris or Cygwin.
    Fact {
        cfg: "ferrio_reuseport",
        apple: true,
        systems:
            "linux android emscripten fuchsia freebsd dragonfly netbsd openbsd aix haiku hurd nto \
                  redox",
    },
    // IPV6_TCLASS: not on Haiku or Redox.
    Fact {
        cfg: "ferrio_tclass_v6",
        apple: true,
        systems:
            "linux android emscripten fuchsia freebsd dragonfly netbsd openbsd illumos solaris \
                  aix hurd nto cygwin",
    },
    // Per-socket keep-alive parameters: idle time (TCP_KEEPIDLE, Apple's TCP_KEEPALIVE),
    // TCP_KEEPINTVL and TCP_KEEPCNT.
    Fact {
        cfg: "ferrio_keepalive_params",
        apple: true,
        systems: "linux android emscripten fuchsia freebsd dragonfly netbsd illumos solaris aix \
                  hurd cygwin",
    },
    // SOCK_NONBLOCK | SOCK_CLOEXEC accepted by socket(2) (elsewhere: fcntl afterwards).
    Fact {
        cfg: "ferrio_sock_flags",
        apple: false,
        systems: "linux android emscripten freebsd dragonfly netbsd openbsd illumos solaris hurd \
                  fuchsia cygwin redox hermit",
    },
    // MSG_NOSIGNAL for send(2) (Apple uses the SO_NOSIGPIPE socket option instead).
    Fact {
        cfg: "ferrio_msg_nosignal",
        apple: false,
        systems: "linux android emscripten freebsd dragonfly netbsd openbsd illumos solaris hurd \
                  fuchsia cygwin haiku aix nto",
    },
    // Only pipe(2), no pipe2(2): the pipe's flags are set with fcntl afterwards.
    Fact {
        cfg: "ferrio_no_pipe2",
        apple: true,
        systems: "aix espidf haiku horizon nto",
    },
    // A listen(2) backlog of -1 means "the system's maximum" (std's choice for Unix listeners).
    Fact {
        cfg: "ferrio_listen_max",
        apple: true,
        systems: "linux android freebsd openbsd",
    },
    // No SOMAXCONN in libc: std's Unix listeners use a backlog of 128.
    Fact {
        cfg: "ferrio_listen_128",
        apple: false,
        systems: "redox espidf horizon",
    },
    // eventfd(2) for the notifier behind Wakers and the poll(2) backend's wake-ups (elsewhere:
    // a pipe). illumos and Hermit have it, and mio uses it there.
    Fact {
        cfg: "ferrio_eventfd",
        apple: false,
        systems: "linux android illumos hermit",
    },
    // The epoll emulation reports an edge on an eventfd or pipe only when it goes from empty to
    // readable, not for every write as Linux does (illumos bugs 13436 and 16700, fixed in 2020
    // and 2024, and worked around by mio): the epoll Waker empties its notifier before writing.
    Fact {
        cfg: "ferrio_wake_from_empty",
        apple: false,
        systems: "illumos",
    },
    // `pollfd.events` and `revents`, and the POLL* constants, are C ints, not shorts.
    Fact {
        cfg: "ferrio_poll_int_events",
        apple: false,
        systems: "horizon",
    },
    // libc lacks POLLNVAL, which the system's <sys/poll.h> defines (ESP-IDF: 1 << 7).
    Fact {
        cfg: "ferrio_no_libc_pollnval",
        apple: false,
        systems: "espidf",
    },
    // `getrusage(RUSAGE_SELF)` in libc: the CPU times the batched-UDP example prints
    // (examples/udp_batch.rs; the library does not call it).
    Fact {
        cfg: "ferrio_getrusage",
        apple: true,
        systems: "linux android freebsd dragonfly netbsd openbsd illumos solaris haiku hurd nto \
                  aix cygwin redox emscripten",
    },
    // `sendmmsg` and `recvmmsg` (with `MSG_WAITFORONE`): many datagrams per call. System
    // calls on Linux, Android, NetBSD (since 7.0) and OpenBSD (since 7.2); on FreeBSD (since
    // 11.0) a loop of sendmsg/recvmsg in its C library, which keeps the rules of ferrio's own
    // loop. libc declares them for all five.
    Fact {
        cfg: "ferrio_mmsg",
        apple: false,
        systems: "linux android freebsd netbsd openbsd",
    },
    // UDP segmentation offload both ways: `UDP_SEGMENT` (send) and `UDP_GRO` (receive).
    Fact {
        cfg: "ferrio_udp_gso",
        apple: false,
        systems: "linux android",
    },
    // Per-datagram metadata of batched UDP, in control messages (src/sys/unix/socket/batch.rs;
    // the facts below `ferrio_udp_cmsg_v6` are about IPv4 datagrams). For IPv6, RFC 3542's
    // messages: `IPV6_RECVPKTINFO` (destination address and interface received),
    // `IPV6_PKTINFO` (the source to send from), `IPV6_RECVTCLASS` and `IPV6_TCLASS` (ECN both
    // ways).
    Fact {
        cfg: "ferrio_udp_cmsg_v6",
        apple: true,
        systems: "linux android freebsd dragonfly netbsd openbsd",
    },
    // `IP_PKTINFO` both ways: `in_pktinfo` with the destination address and interface received,
    // the source to send from in `ipi_spec_dst` (Apple's `IP_RECVPKTINFO` is the same number).
    // NetBSD's `in_pktinfo` has no `ipi_spec_dst`: NetBSD takes the next two facts, as the
    // other BSDs do.
    Fact {
        cfg: "ferrio_udp_pktinfo_v4",
        apple: true,
        systems: "linux android",
    },
    // `IP_RECVDSTADDR` (the destination address, an `in_addr`) and `IP_RECVIF` (the
    // interface, a `sockaddr_dl`) received.
    Fact {
        cfg: "ferrio_udp_dstaddr_v4",
        apple: false,
        systems: "freebsd dragonfly netbsd openbsd",
    },
    // `IP_SENDSRCADDR` (an `in_addr`): the source to send from. Not DragonFly, whose
    // `udp_output` ignores control messages. (FreeBSD refuses it on a socket bound to one
    // address, as ip(4) says: it is for sockets bound to the wildcard address.)
    Fact {
        cfg: "ferrio_udp_srcaddr_v4",
        apple: false,
        systems: "freebsd netbsd openbsd",
    },
    // ECN of IPv4 datagrams both ways: `IP_RECVTOS` (the TOS byte received, as a message of
    // type `IP_TOS` on Linux, `IP_RECVTOS` elsewhere) and an `IP_TOS` message on send. libc
    // has no `IP_RECVTOS` for NetBSD, OpenBSD or DragonFly, and their `udp_output` does not
    // apply an `IP_TOS` message (OpenBSD's and DragonFly's ignore it; quinn-udp leaves it
    // out on NetBSD).
    Fact {
        cfg: "ferrio_udp_ecn_v4",
        apple: true,
        systems: "linux android freebsd",
    },
    // The `IP_TOS` message of a sent datagram holds one byte (FreeBSD's `udp_output` refuses
    // any other length); elsewhere an int.
    Fact {
        cfg: "ferrio_udp_tos_byte",
        apple: false,
        systems: "freebsd",
    },
    // No POLLPRI (nor priority data) for poll(2).
    Fact {
        cfg: "ferrio_no_pollpri",
        apple: false,
        systems: "wasi",
    },
    // No IP_TOS socket option (`set_tos_v4` and `tos_v4` do not exist there).
    Fact {
        cfg: "ferrio_no_ip_tos",
        apple: false,
        systems: "wasi",
    },
    // No exec, so no close-on-exec flag to set (`fcntl(F_SETFD)` fails with EINVAL).
    Fact {
        cfg: "ferrio_no_cloexec",
        apple: false,
        systems: "wasi",
    },
    // timerfd (the timers of `ferrio::sources`). illumos has it (written for Linux binaries
    // in branded zones, with Linux's semantics), and so does Fuchsia's fdio.
    Fact {
        cfg: "ferrio_timerfd",
        apple: false,
        systems: "linux android illumos fuchsia",
    },
    // The kqueue system calls, whichever backend is the selector (the sources of
    // `ferrio::sources` use private kqueues there).
    Fact {
        cfg: "ferrio_kevent",
        apple: true,
        systems: "freebsd netbsd openbsd dragonfly",
    },
    // EVFILT_TIMER periods in nanoseconds (NOTE_NSECONDS); elsewhere milliseconds.
    Fact {
        cfg: "ferrio_note_nseconds",
        apple: true,
        systems: "freebsd netbsd",
    },
    // POSIX signals delivered to handlers installed with `sigaction(SA_SIGINFO)`, and libc
    // names how a handler reaches errno (one of the `ferrio_errno_*` facts below): the
    // `Signals` source of `ferrio::sources`. Not Fuchsia (no signals: Zircon has exceptions),
    // Emscripten and the newlib systems (no signals from outside the process), Hermit or WASI.
    Fact {
        cfg: "ferrio_signals",
        apple: true,
        systems: "linux android freebsd netbsd openbsd dragonfly illumos solaris haiku nto hurd \
                  cygwin redox aix",
    },
    // Neither SA_RESTART nor SA_ONSTACK for sigaction (QNX Neutrino 7: calls interrupted by a
    // handler fail with EINTR, and there is no alternate signal stack).
    Fact {
        cfg: "ferrio_no_sa_restart",
        apple: false,
        systems: "nto",
    },
    // waitid(2) with P_PID and WNOWAIT: whether a child has exited, without reaping it (the
    // child-exit source of `ferrio::sources`). Each also has `ferrio_signals` (its fallback
    // is a SIGCHLD watch). Not in libc for OpenBSD, Cygwin or Redox. Not GNU/Hurd either:
    // glibc builds its waitid on waitpid there, and the proc server's wait reaps a zombie
    // whatever the flags, so a WNOWAIT check would take the caller's child away.
    Fact {
        cfg: "ferrio_waitid",
        apple: true,
        systems: "linux android freebsd dragonfly netbsd illumos solaris haiku nto aix",
    },
    // pidfd_open(2) (Linux 5.3), tried for child exits. Not on Android, whose app sandbox
    // kills a process for a system call missing from its list.
    Fact {
        cfg: "ferrio_pidfd",
        apple: false,
        systems: "linux",
    },
    // How a signal handler reaches errno (to leave it as it found it), one fact per name of
    // the function that returns its address: `__errno_location`, `__errno`, `__error`,
    // `___errno` (illumos, Solaris), `_errnop` (Haiku), `__get_errno_ptr` (QNX), `_Errno`
    // (AIX). Named for every `ferrio_signals` system.
    Fact {
        cfg: "ferrio_errno_location",
        apple: false,
        systems: "linux dragonfly hurd redox",
    },
    Fact {
        cfg: "ferrio_errno_dunder",
        apple: false,
        systems: "android netbsd openbsd cygwin",
    },
    Fact {
        cfg: "ferrio_errno_error",
        apple: true,
        systems: "freebsd",
    },
    Fact {
        cfg: "ferrio_errno_solarish",
        apple: false,
        systems: "illumos solaris",
    },
    Fact {
        cfg: "ferrio_errno_haiku",
        apple: false,
        systems: "haiku",
    },
    Fact {
        cfg: "ferrio_errno_nto",
        apple: false,
        systems: "nto",
    },
    Fact {
        cfg: "ferrio_errno_aix",
        apple: false,
        systems: "aix",
    },
    // kqueue's EVFILT_AIO (`Interest::AIO`).
    Fact {
        cfg: "ferrio_aio",
        apple: true,
        systems: "dragonfly freebsd",
    },
    // kqueue's EVFILT_LIO (`Interest::LIO`).
    Fact {
        cfg: "ferrio_lio",
        apple: false,
        systems: "freebsd",
    },
    // POLLRDHUP: poll(2) reports the peer's shutdown of its writing half.
    Fact {
        cfg: "ferrio_pollrdhup",
        apple: false,
        systems: "linux android",
    },
    // `Interest::PRIORITY` (EPOLLPRI, or POLLPRI on the poll(2) backend), as mio has it.
    Fact {
        cfg: "ferrio_priority",
        apple: false,
        systems: "linux android",
    },
    // accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC (elsewhere: accept, then fcntl). x86
    // Android's seccomp filter forbids accept4.
    Fact {
        cfg: "ferrio_accept4",
        apple: false,
        systems: "linux android!x86 hurd fuchsia cygwin freebsd dragonfly netbsd openbsd illumos \
                  solaris",
    },
    // Unix-domain addresses in the abstract namespace (std's `SocketAddrExt`).
    Fact {
        cfg: "ferrio_abstract_uds",
        apple: false,
        systems: "linux android",
    },
    // No Unix-domain datagram sockets: no `UnixDatagram` (as in mio).
    Fact {
        cfg: "ferrio_no_uds_dgram",
        apple: false,
        systems: "emscripten",
    },
    // No recvmsg/sendmsg: vectored I/O uses the first non-empty buffer, as std does.
    Fact {
        cfg: "ferrio_no_msghdr",
        apple: false,
        systems: "horizon hermit wasi",
    },
    // SO_NOSIGPIPE, set on every socket in place of MSG_NOSIGNAL.
    Fact {
        cfg: "ferrio_so_nosigpipe",
        apple: true,
        systems: "",
    },
    // SO_LINGER counts clock ticks; SO_LINGER_SEC takes seconds.
    Fact {
        cfg: "ferrio_linger_sec",
        apple: true,
        systems: "",
    },
    // The fields of `struct linger` are `unsigned short`.
    Fact {
        cfg: "ferrio_linger_u16",
        apple: false,
        systems: "cygwin",
    },
    // The keep-alive idle time is the TCP_KEEPALIVE option (elsewhere TCP_KEEPIDLE).
    Fact {
        cfg: "ferrio_keepalive_opt",
        apple: true,
        systems: "",
    },
    // IP_MULTICAST_LOOP and IP_MULTICAST_TTL take a byte (elsewhere a C int), as std has it.
    Fact {
        cfg: "ferrio_multicast_v4_byte",
        apple: false,
        systems: "freebsd dragonfly openbsd netbsd illumos solaris nto",
    },
    // IPv6 group membership is IPV6_ADD_MEMBERSHIP/IPV6_DROP_MEMBERSHIP (elsewhere
    // IPV6_JOIN_GROUP/IPV6_LEAVE_GROUP).
    Fact {
        cfg: "ferrio_ipv6_add_membership",
        apple: false,
        systems: "linux android emscripten fuchsia hermit",
    },
    // SO_BINDTODEVICE (`bind_device` and `device` on the socket types).
    Fact {
        cfg: "ferrio_bindtodevice",
        apple: false,
        systems: "linux android fuchsia",
    },
    // IP_BIND_ADDRESS_NO_PORT: a bind to port 0 leaves the port to connect.
    Fact {
        cfg: "ferrio_bind_no_port",
        apple: false,
        systems: "linux android",
    },
    // std's TCP listen backlog is 20 (elsewhere 128, or 32 below).
    Fact {
        cfg: "ferrio_backlog_20",
        apple: false,
        systems: "horizon",
    },
    // std's TCP listen backlog is 32.
    Fact {
        cfg: "ferrio_backlog_32",
        apple: false,
        systems: "haiku",
    },
    // No `struct linger` in libc: `SO_LINGER` fails with `Unsupported`.
    Fact {
        cfg: "ferrio_no_linger",
        apple: false,
        systems: "hermit",
    },
    // No `ip_mreq`/`ipv6_mreq` in libc: joining a multicast group fails with `Unsupported`.
    Fact {
        cfg: "ferrio_no_mreq",
        apple: false,
        systems: "hermit",
    },
    // libc's `epoll_event` has a padding field to fill in.
    Fact {
        cfg: "ferrio_epoll_pad",
        apple: false,
        systems: "redox",
    },
];
