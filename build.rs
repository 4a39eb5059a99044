//! Chooses the selector backend for the target being built and exposes it as one cfg, so the
//! rest of the crate names a backend (`ferrio_epoll`, `ferrio_kqueue`, `ferrio_poll`) instead of
//! repeating long lists of operating systems.
//!
//! | target                                   | backend                          |
//! |------------------------------------------|----------------------------------|
//! | Linux, Android, Emscripten, Redox        | epoll (`ferrio_epoll`)           |
//! | macOS, iOS, tvOS, visionOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly | kqueue (`ferrio_kqueue`) |
//! | any other Unix                           | poll(2) (`ferrio_poll`)          |
//! | any Unix with `--cfg ferrio_force_poll`  | poll(2)                          |
//! | ... or with mio's `--cfg mio_unsupported_force_poll_poll` | poll(2)         |
//! | Windows                                  | IOCP with AFD polling (`ferrio_windows`) |
//! | anything else                            | `ferrio_unsupported`: compile error naming the target |
//!
//! It also names what only some systems have: `ferrio_reuseport` (`SO_REUSEPORT`),
//! `ferrio_tclass_v6` (`IPV6_TCLASS`), `ferrio_sock_flags` (`SOCK_NONBLOCK | SOCK_CLOEXEC` in
//! `socket`), `ferrio_msg_nosignal` (`MSG_NOSIGNAL`) and `ferrio_keepalive_params` (per-socket
//! keep-alive idle time, interval and probe count).
//!
//! Every cfg the crate tests, those above and the ones users set, is declared to rustc's
//! `unexpected_cfgs` check with `cargo:rustc-check-cfg`, but only for cargo 1.80 and later:
//! older cargo prints a warning for each such line, in the build of every crate that depends on
//! ferrio (the MSRV is 1.71; `.ci/msrv` checks that such a build prints no warning). For the
//! same reason the list is here rather than in a `[lints]` table of Cargo.toml, which cargo
//! before 1.74 reports as an unused manifest key.
use std::env;
use std::process::Command;

/// Every cfg name the crate's code tests: set by this script, or by the user (`docsrs` by
/// docs.rs, the two that force poll(2)).
const CFGS: &[&str] = &[
    "docsrs",
    "ferrio_force_poll",
    "mio_unsupported_force_poll_poll",
    "ferrio_epoll",
    "ferrio_kqueue",
    "ferrio_poll",
    "ferrio_windows",
    "ferrio_unsupported",
    "ferrio_reuseport",
    "ferrio_tclass_v6",
    "ferrio_sock_flags",
    "ferrio_msg_nosignal",
    "ferrio_keepalive_params",
    "ferrio_aio",
    "ferrio_lio",
    "ferrio_no_pipe2",
    "ferrio_listen_max",
    "ferrio_listen_128",
    "ferrio_epoll_pwait2",
    "ferrio_timerfd",
    "ferrio_kevent",
    "ferrio_note_nseconds",
    "ferrio_waitid",
    "ferrio_pidfd",
    "ferrio_errno_location",
    "ferrio_errno_dunder",
    "ferrio_errno_error",
    // Set by hand, for the reliability checks (RELIABILITY.md): loom's models of the
    // cross-thread protocols, and the test-only failpoints in front of the system calls.
    "loom",
    "ferrio_failpoints",
    // Set by .ci/sanitizers for MemorySanitizer, which cannot see what a raw syscall writes.
    "ferrio_msan",
];

/// A cfg set on the Unix systems that have some feature.
struct Fact {
    cfg: &'static str,
    /// Also on Apple's systems (macOS, iOS, tvOS, visionOS, watchOS).
    apple: bool,
    /// The other systems (`target_os` values), separated by spaces.
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
                  fuchsia cygwin redox",
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
    // timerfd (the timers of `ferrio::sources`).
    Fact {
        cfg: "ferrio_timerfd",
        apple: false,
        systems: "linux android",
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
    // waitid(2) with P_PID and WNOWAIT: whether a child has exited, without reaping it (the
    // child-exit source of `ferrio::sources`).
    Fact {
        cfg: "ferrio_waitid",
        apple: true,
        systems: "linux android freebsd dragonfly netbsd",
    },
    // pidfd_open(2) (Linux 5.3), tried for child exits. Not on Android, whose app sandbox
    // kills a process for a system call missing from its list.
    Fact {
        cfg: "ferrio_pidfd",
        apple: false,
        systems: "linux",
    },
    // How a signal handler reaches errno (to leave it as it found it): `__errno_location`,
    // `__errno` or `__error`. Named where `ferrio::sources` exists.
    Fact {
        cfg: "ferrio_errno_location",
        apple: false,
        systems: "linux dragonfly",
    },
    Fact {
        cfg: "ferrio_errno_dunder",
        apple: false,
        systems: "android netbsd openbsd",
    },
    Fact {
        cfg: "ferrio_errno_error",
        apple: true,
        systems: "freebsd",
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
];

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
        for cfg in CFGS {
            println!("cargo:rustc-check-cfg=cfg({cfg})");
        }
    }
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let unix = family.split(',').any(|f| f == "unix");
    let forced = env::var_os("CARGO_CFG_FERRIO_FORCE_POLL").is_some()
        || env::var_os("CARGO_CFG_MIO_UNSUPPORTED_FORCE_POLL_POLL").is_some();

    let backend = if family.split(',').any(|f| f == "windows") {
        "ferrio_windows"
    } else if !unix {
        "ferrio_unsupported"
    } else if forced {
        "ferrio_poll"
    } else {
        match os.as_str() {
            // Emscripten and Redox have epoll too, and mio uses it there.
            "linux" | "android" | "emscripten" | "redox" => "ferrio_epoll",
            "macos" | "ios" | "tvos" | "visionos" | "watchos" | "freebsd" | "netbsd"
            | "openbsd" | "dragonfly" => "ferrio_kqueue",
            _ => "ferrio_poll",
        }
    };
    println!("cargo:rustc-cfg={backend}");

    // Facts of some Unix systems (where libc defines the constant), named once here instead
    // of as long target lists at every use.
    let apple = env::var("CARGO_CFG_TARGET_VENDOR").is_ok_and(|v| v == "apple");
    for fact in UNIX_FACTS {
        if unix && ((apple && fact.apple) || fact.systems.split(' ').any(|s| s == os)) {
            println!("cargo:rustc-cfg={}", fact.cfg);
        }
    }
    // epoll_pwait2 (sub-millisecond timeouts), called through syscall(2) where libc's
    // timespec is the kernel's 64-bit one: 64-bit Linux. Not Android: the seccomp filter of
    // its apps kills the process (SIGSYS) for a system call missing from its list, where
    // Linux's filters answer ENOSYS or EPERM.
    let width = env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap_or_default();
    if backend == "ferrio_epoll" && os == "linux" && width == "64" {
        println!("cargo:rustc-cfg=ferrio_epoll_pwait2");
    }
    println!(
        "cargo:rustc-env=FERRIO_TARGET={}",
        env::var("TARGET").unwrap_or_else(|_| "unknown".into())
    );
}
