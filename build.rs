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
//! It also names what only some systems have, one cfg per fact (the `UNIX_FACTS` table in
//! `build/facts.rs`: socket options, `accept4`, eventfd, `Interest::PRIORITY`/`AIO`/`LIO`, ...),
//! so that `src/` tests a fact and never lists systems, and a new platform is one edit of that
//! table and of the backend lists here. For the public items behind a fact it writes the macro `fact_gated!` into `OUT_DIR/platform_facts.rs`
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

// The table of platform facts, in a file of its own (build/facts.rs).
#[path = "build/facts.rs"]
mod facts;
use facts::{Fact, UNIX_FACTS};

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
    println!("cargo:rerun-if-changed=build/facts.rs");
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
