// One file, longer than the project's ~700-line guide: it is the single table of platform facts
// (the backend lists, `UNIX_FACTS`, the cfg list) and the few functions that print it and write
// `fact_gated!` from it. Split, the table and the code that reads it would sit in two files
// for every platform change, which is what issue 17 set out to end.
//! Chooses the selector backend for the target being built and exposes it as one cfg, so the
//! rest of the crate names a backend (`ferrio_epoll`, `ferrio_kqueue`, `ferrio_ports`,
//! `ferrio_poll`) instead of repeating long lists of operating systems.
//!
//! | target                                     | backend                          |
//! |--------------------------------------------|----------------------------------|
//! | Linux, Android, Emscripten, Redox, illumos | epoll (`ferrio_epoll`)           |
//! | macOS, iOS, tvOS, visionOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly | kqueue (`ferrio_kqueue`) |
//! | Solaris                                    | event ports (`ferrio_ports`)     |
//! | any other Unix, and Hermit                 | poll(2) (`ferrio_poll`)          |
//! | WASI preview 1 (wasm32-wasip1)             | `poll_oneoff` (`ferrio_wasi`)    |
//! | WASI preview 2 and later (wasm32-wasip2)   | poll(2) of wasi-libc (`ferrio_poll`) |
//! | any Unix with `--cfg ferrio_force_poll`  | poll(2)                          |
//! | ... or with mio's `--cfg mio_unsupported_force_poll_poll` | poll(2)         |
//! | Windows                                  | IOCP with AFD polling (`ferrio_windows`) |
//! | anything else                            | `ferrio_unsupported`: compile error naming the target |
//!
//! Hermit and WASI preview 2 are not of the `unix` family, yet go through the Unix code (libc,
//! poll(2), sockets) as in mio: `ferrio_posix` marks the builds that compile that code (every
//! Unix, Hermit and WASI preview 2), and `ferrio_fd` those whose handles are file descriptors (those and WASI
//! preview 1). `ferrio_no_waker` marks WASI, which runs one thread and has no `Waker` (as in
//! mio).
//!
//! It also names what only some systems have, one cfg per fact (the `UNIX_FACTS` table: socket
//! options, `accept4`, eventfd, `Interest::PRIORITY`/`AIO`/`LIO`, ...), so that `src/` tests a
//! fact and never lists systems, and a new platform is one edit of this file. For the public
//! items behind a fact it writes the macro `fact_gated!` into `OUT_DIR/platform_facts.rs`
//! (included by `src/lib.rs`): the fact's cfg plus the docs.rs label that names its systems.
//!
//! Every cfg the crate tests, those above and the ones users set, is declared to rustc's
//! `unexpected_cfgs` check with `cargo:rustc-check-cfg`, but only for cargo 1.80 and later:
//! older cargo prints a warning for each such line, in the build of every crate that depends on
//! ferrio (the MSRV is 1.71; `.ci/msrv` checks that such a build prints no warning). For the
//! same reason the list is here rather than in a `[lints]` table of Cargo.toml, which cargo
//! before 1.74 reports as an unused manifest key.
use std::env;
use std::process::Command;

/// The facts of batched UDP that `--cfg ferrio_udp_plain` turns off.
const UDP_PLAIN_OFF: &[&str] = &[
    "ferrio_mmsg",
    "ferrio_udp_gso",
    "ferrio_udp_cmsg_v6",
    "ferrio_udp_pktinfo_v4",
    "ferrio_udp_dstaddr_v4",
    "ferrio_udp_srcaddr_v4",
    "ferrio_udp_ecn_v4",
    "ferrio_udp_tos_byte",
];

/// Every cfg name the crate's code tests, besides the facts of `UNIX_FACTS` (declared from
/// that table): set by this script, or by the user (`docsrs` by docs.rs, the two that force
/// poll(2), `ferrio_udp_plain`).
const CFGS: &[&str] = &[
    "docsrs",
    "ferrio_force_poll",
    "mio_unsupported_force_poll_poll",
    "ferrio_udp_plain",
    "ferrio_epoll",
    "ferrio_kqueue",
    "ferrio_ports",
    "ferrio_poll",
    "ferrio_windows",
    "ferrio_unsupported",
    "ferrio_udp_batch",
    "ferrio_sendmmsg_syscall",
    "ferrio_udp_cmsg",
    "ferrio_udp_meta_v4",
    "ferrio_wasi",
    "ferrio_posix",
    "ferrio_fd",
    "ferrio_no_waker",
    "ferrio_epoll_pwait2",
    "ferrio_timer",
    "ferrio_soft_timer",
    // Set by hand: the timers of `ferrio::sources` use the clock thread even where the
    // system has timerfd or kqueue (to test that path on Linux).
    "ferrio_force_soft_timer",
    "ferrio_child_exit",
    // Set by hand, for the reliability checks (RELIABILITY.md): loom's models of the
    // cross-thread protocols, and the test-only failpoints in front of the system calls.
    "loom",
    "ferrio_failpoints",
    // Set by .ci/sanitizers for MemorySanitizer, which cannot see what a raw syscall writes.
    "ferrio_msan",
];

/// A cfg set on the Unix systems (and WASI preview 2, whose `target_os` is `wasi`) that have
/// some feature.
struct Fact {
    cfg: &'static str,
    /// Also on Apple's systems (macOS, iOS, tvOS, visionOS, watchOS).
    apple: bool,
    /// The other systems (`target_os` values), separated by spaces; `os!arch` is `os` except
    /// on that `target_arch`.
    systems: &'static str,
}

/// Platform facts beyond the backend, each tested by the code as one cfg.
const UNIX_FACTS: &[Fact] = &[
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

/// Checks the table's promises between facts (a mistake fails every build, not only the
/// build for the system concerned): every `ferrio_signals` system names exactly one errno
/// function, and every `ferrio_waitid` or `ferrio_kevent` system has signals (the child-exit
/// watches fall back to a SIGCHLD watch or a notifier of the signal code).
fn check_facts() {
    let on = |cfg: &str| -> Vec<&'static str> {
        UNIX_FACTS
            .iter()
            .filter(|f| f.cfg == cfg)
            .flat_map(|f| systems(f).map(|(os, _)| os))
            .collect()
    };
    let signals = on("ferrio_signals");
    for os in &signals {
        let errno = UNIX_FACTS
            .iter()
            .filter(|f| f.cfg.starts_with("ferrio_errno_"))
            .filter(|f| systems(f).any(|(s, _)| s == *os))
            .count();
        assert_eq!(
            errno, 1,
            "build.rs: {os} has ferrio_signals and {errno} errno facts"
        );
    }
    for os in on("ferrio_waitid").into_iter().chain(on("ferrio_kevent")) {
        assert!(
            signals.contains(&os),
            "build.rs: {os} has a child-exit watch, no signals"
        );
    }
}

/// Apple's systems, for [`Fact::apple`] and the backend table.
const APPLE: &str = "macos ios tvos visionos watchos";
/// The systems whose default backend is epoll; mio uses it on Emscripten, Redox and illumos
/// too (illumos's differences: `ferrio_wake_from_empty`).
const EPOLL: &str = "linux android emscripten redox illumos";
/// The systems whose default backend is event ports.
const PORTS: &str = "solaris";
/// The systems whose default backend is kqueue (and Apple's).
const KQUEUE: &str = "freebsd netbsd openbsd dragonfly";

/// The systems of a fact, `target_os` values: a `name!arch` entry is `name` except on that
/// `target_arch`.
fn systems(fact: &Fact) -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    let apple = if fact.apple { APPLE } else { "" };
    apple
        .split_whitespace()
        .chain(fact.systems.split_whitespace())
        .map(|s| match s.split_once('!') {
            Some((os, arch)) => (os, Some(arch)),
            None => (s, None),
        })
}

/// The systems as a cfg predicate for rustdoc's `doc(cfg)`, Apple's five as one vendor term
/// (rustdoc shows it as "Apple").
fn predicate(
    apple: bool,
    systems: impl Iterator<Item = (&'static str, Option<&'static str>)>,
) -> String {
    let vendor = apple.then(|| "target_vendor = \"apple\"".to_string());
    let terms: Vec<String> = vendor
        .into_iter()
        .chain(
            systems
                .filter(|(os, _)| !(apple && APPLE.split_whitespace().any(|a| a == *os)))
                .map(|(os, arch)| match arch {
                    None => format!("target_os = {os:?}"),
                    Some(arch) => format!("all(target_os = {os:?}, not(target_arch = {arch:?}))"),
                }),
        )
        .collect();
    match terms.as_slice() {
        [one] => one.clone(),
        _ => format!("any({})", terms.join(", ")),
    }
}

/// Writes `platform_facts.rs` into `OUT_DIR` (included by `src/lib.rs`): the macro
/// `fact_gated!`, which puts an item behind a fact's cfg together with the docs.rs label
/// naming the fact's systems, so the systems are written only in this file.
///
/// * `fact_gated!(ferrio_x: item)`: the item exists where the fact holds;
/// * `fact_gated!(not ferrio_x: item)`: the item exists on the Unix systems where it does not;
/// * `fact_gated!(poller_fd: item)`: only the label of the epoll, kqueue and event ports systems (the item
///   is already behind the backend's cfg), unless poll(2) is forced.
fn write_fact_macro() {
    let mut arms = String::new();
    for fact in UNIX_FACTS {
        let (cfg, label) = (fact.cfg, predicate(fact.apple, systems(fact)));
        arms.push_str(&format!(
            "    ({cfg}: $($item:tt)*) => {{\n        #[cfg({cfg})]\n        \
             #[cfg_attr(docsrs, doc(cfg({label})))]\n        $($item)*\n    }};\n\
             \x20   (not {cfg}: $($item:tt)*) => {{\n        #[cfg(all(unix, not({cfg})))]\n        \
             #[cfg_attr(docsrs, doc(cfg(all(unix, not({label})))))]\n        $($item)*\n    }};\n"
        ));
    }
    let native = EPOLL
        .split_whitespace()
        .chain(APPLE.split_whitespace())
        .chain(KQUEUE.split_whitespace())
        .chain(PORTS.split_whitespace())
        .map(|os| (os, None));
    arms.push_str(&format!(
        "    (poller_fd: $($item:tt)*) => {{\n        #[cfg_attr(docsrs, doc(cfg(all({}, \
         not(ferrio_force_poll), not(mio_unsupported_force_poll_poll)))))]\n        \
         $($item)*\n    }};\n",
        predicate(true, native)
    ));
    let text = format!(
        "// Written by build.rs from its table of platform facts.\n\
         macro_rules! fact_gated {{\n{arms}}}\n"
    );
    let out = std::path::PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("platform_facts.rs"), text).expect("OUT_DIR is writable");
}

/// The minor version of the cargo running this script (`cargo 1.80.0 (...)` gives 80), from
/// the `CARGO` it sets; `None` if it cannot be told.
fn cargo_minor_version() -> Option<u32> {
    let cargo = env::var_os("CARGO")?;
    let output = Command::new(cargo).arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    match (parts.next()?, parts.next()?) {
        ("1", minor) => minor.parse().ok(),
        _ => None,
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // A cargo that cannot be told is taken to be a recent one.
    if cargo_minor_version().map_or(true, |minor| minor >= 80) {
        for cfg in CFGS.iter().chain(UNIX_FACTS.iter().map(|fact| &fact.cfg)) {
            println!("cargo:rustc-check-cfg=cfg({cfg})");
        }
    }
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let unix = family.split(',').any(|f| f == "unix");
    // Hermit is no Unix family target, but its libc has the fd calls the Unix code needs
    // (sockets, poll, eventfd; no pipe), as mio uses them there.
    let fd_based = unix || os == "hermit";
    let forced = env::var_os("CARGO_CFG_FERRIO_FORCE_POLL").is_some()
        || env::var_os("CARGO_CFG_MIO_UNSUPPORTED_FORCE_POLL_POLL").is_some();

    // WASI: preview 1 has its own backend on `poll_oneoff`; preview 2 and later go through
    // wasi-libc's poll(2), as mio does, and so through the Unix code.
    let wasi = os == "wasi";
    let wasi_p1 = wasi && env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|e| e == "p1");
    let posix = fd_based || (wasi && !wasi_p1);

    let backend = if family.split(',').any(|f| f == "windows") {
        "ferrio_windows"
    } else if wasi_p1 {
        "ferrio_wasi"
    } else if !posix {
        "ferrio_unsupported"
    } else if forced {
        "ferrio_poll"
    } else {
        let is = |list: &str| list.split_whitespace().any(|s| s == os);
        if is(EPOLL) {
            "ferrio_epoll"
        } else if is(APPLE) || is(KQUEUE) {
            "ferrio_kqueue"
        } else if is(PORTS) {
            // Event ports, as mio has them since 1.2.2.
            "ferrio_ports"
        } else {
            "ferrio_poll"
        }
    };
    println!("cargo:rustc-cfg={backend}");
    // The Unix code (src/sys/unix: libc, poll(2), sockets) also serves WASI preview 2, which is
    // not of the `unix` family; file descriptors are the sources' handles on every WASI.
    // Batched UDP (`net::UdpBatch`) exists wherever `net::UdpSocket` does: with the Unix code,
    // one `sendmsg`/`recvmsg` per datagram unless the facts below give more (`sendmmsg`, GSO,
    // control messages), one `sendto`/`recvfrom` where there is no `msghdr`; on Windows (set
    // below) `WSASendMsg`/`WSARecvMsg`, or `sendto`/`recvfrom`.
    if posix {
        println!("cargo:rustc-cfg=ferrio_posix");
        println!("cargo:rustc-cfg=ferrio_udp_batch");
    }
    if posix || wasi {
        println!("cargo:rustc-cfg=ferrio_fd");
    }
    // WASI has no threads to wake: no `Waker` there, as in mio.
    if wasi {
        println!("cargo:rustc-cfg=ferrio_no_waker");
    }

    // Facts of some Unix systems (where libc defines the constant), named once here instead
    // of as long target lists at every use.
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let mut held = Vec::new();
    // `--cfg ferrio_udp_plain` (tests, .ci/run) drops the batch calls, offloads and metadata
    // of batched UDP, so that Linux builds and runs the loop other Unix systems take.
    let udp_plain = env::var_os("CARGO_CFG_FERRIO_UDP_PLAIN").is_some();
    for fact in UNIX_FACTS {
        if udp_plain && UDP_PLAIN_OFF.contains(&fact.cfg) {
            continue;
        }
        if posix && systems(fact).any(|(s, not_arch)| s == os && not_arch != Some(&arch)) {
            println!("cargo:rustc-cfg={}", fact.cfg);
            held.push(fact.cfg);
        }
    }
    // Which sources of `ferrio::sources` exist, from the facts above: a timer on every Unix
    // (timerfd or kqueue where there is one), a child-exit watch where there is waitid or kqueue (OpenBSD).
    let holds = |cfg: &str| held.contains(&cfg);
    // Elsewhere on Unix the timers are notifiers that a clock thread makes readable
    // (`ferrio_soft_timer`), also where `--cfg ferrio_force_soft_timer` asks for them.
    let force_soft = env::var_os("CARGO_CFG_FERRIO_FORCE_SOFT_TIMER").is_some();
    let kernel_timer = holds("ferrio_timerfd") || holds("ferrio_kevent");
    if unix && (force_soft || !kernel_timer) {
        println!("cargo:rustc-cfg=ferrio_soft_timer");
    }
    if kernel_timer || unix {
        println!("cargo:rustc-cfg=ferrio_timer");
    }
    if holds("ferrio_waitid") || holds("ferrio_kevent") {
        println!("cargo:rustc-cfg=ferrio_child_exit");
    }
    // Batched UDP reads and writes control messages where one of the metadata facts holds
    // (`ferrio_udp_cmsg`), and carries all of it for IPv4 datagrams (ECN both ways, the
    // destination and interface received, the source sent) where `ferrio_udp_meta_v4` holds.
    let v4_dst = holds("ferrio_udp_pktinfo_v4") || holds("ferrio_udp_dstaddr_v4");
    let v4_src = holds("ferrio_udp_pktinfo_v4") || holds("ferrio_udp_srcaddr_v4");
    if v4_dst || v4_src || holds("ferrio_udp_cmsg_v6") || holds("ferrio_udp_ecn_v4") {
        println!("cargo:rustc-cfg=ferrio_udp_cmsg");
    }
    if v4_dst && v4_src && holds("ferrio_udp_ecn_v4") {
        println!("cargo:rustc-cfg=ferrio_udp_meta_v4");
    }
    // epoll_pwait2 (sub-millisecond timeouts), called through syscall(2) where libc's
    // timespec is the kernel's 64-bit one: 64-bit Linux. Not Android: the seccomp filter of
    // its apps kills the process (SIGSYS) for a system call missing from its list, where
    // Linux's filters answer ENOSYS or EPERM.
    let width = env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap_or_default();
    // Nor under Miri, which has no epoll_pwait2 (cargo miri sets CARGO_CFG_MIRI here).
    let miri = env::var_os("CARGO_CFG_MIRI").is_some();
    if backend == "ferrio_epoll" && os == "linux" && width == "64" && !miri {
        println!("cargo:rustc-cfg=ferrio_epoll_pwait2");
    }
    // musl's `sendmmsg` on 64-bit systems is a loop of `sendmsg` in the C library (its
    // `msghdr` and `cmsghdr` pad the kernel's `size_t` lengths to int-sized fields, and it
    // zeroes the padding of each header in a copy): there batched UDP, whose headers have
    // their padding zeroed, makes the `sendmmsg` system call itself (`syscall(2)`).
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if holds("ferrio_mmsg") && target_env == "musl" && width == "64" {
        println!("cargo:rustc-cfg=ferrio_sendmmsg_syscall");
    }
    // Batched UDP exists on Windows too (one `WSASendMsg`/`WSARecvMsg` per datagram).
    if family.split(',').any(|f| f == "windows") {
        println!("cargo:rustc-cfg=ferrio_udp_batch");
        // Windows has timers and child-exit watches of its own (src/sys/windows).
        println!("cargo:rustc-cfg=ferrio_timer");
        println!("cargo:rustc-cfg=ferrio_child_exit");
    }
    check_facts();
    write_fact_macro();
    println!(
        "cargo:rustc-env=FERRIO_TARGET={}",
        env::var("TARGET").unwrap_or_else(|_| "unknown".into())
    );
}
