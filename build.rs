//! Chooses the selector backend for the target being built and exposes it as one cfg, so the
//! rest of the crate names a backend (`ferrio_epoll`, `ferrio_kqueue`, `ferrio_poll`) instead of
//! repeating long lists of operating systems.
//!
//! | target                                   | backend                          |
//! |------------------------------------------|----------------------------------|
//! | Linux, Android                           | epoll (`ferrio_epoll`)           |
//! | macOS, iOS, tvOS, visionOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly | kqueue (`ferrio_kqueue`) |
//! | any other Unix                           | poll(2) (`ferrio_poll`)          |
//! | any Unix with `--cfg ferrio_force_poll`  | poll(2)                          |
//! | ... or with mio's `--cfg mio_unsupported_force_poll_poll` | poll(2)         |
//! | Windows                                  | IOCP with AFD polling (`ferrio_windows`) |
//! | anything else                            | `ferrio_unsupported`: compile error naming the target |
use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for cfg in [
        "ferrio_epoll",
        "ferrio_kqueue",
        "ferrio_poll",
        "ferrio_windows",
        "ferrio_unsupported",
    ] {
        println!("cargo:rustc-check-cfg=cfg({cfg})");
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
            "linux" | "android" => "ferrio_epoll",
            "macos" | "ios" | "tvos" | "visionos" | "watchos" | "freebsd" | "netbsd"
            | "openbsd" | "dragonfly" => "ferrio_kqueue",
            _ => "ferrio_poll",
        }
    };
    println!("cargo:rustc-cfg={backend}");
    println!(
        "cargo:rustc-env=FERRIO_TARGET={}",
        env::var("TARGET").unwrap_or_else(|_| "unknown".into())
    );
}
