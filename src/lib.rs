//! ferrio: fast, low-level, non-blocking I/O and event notification.
//!
//! ferrio tells a program which of its sockets, pipes and other file descriptors are ready to
//! be read or written, using the operating system's own poller, and it supplies non-blocking
//! TCP, UDP and Unix-domain sockets and pipes to go with it. It is the bottom layer of an event
//! loop and nothing more: no futures, no timers, no buffering, no threads of its own.
//!
//! Its public API is the API of [mio] 1.x: the same module paths, type names, method
//! signatures, trait impls and cargo features, so code written for mio compiles against ferrio
//! once the dependency is changed (see `MIGRATING.md` in the repository). Where mio has known
//! traps, ferrio behaves better without breaking code written for mio.
//!
//! [mio]: https://docs.rs/mio/1
//!
//! # When to use ferrio
//!
//! Most programs that do network I/O are better served by an async runtime such as tokio:
//! it turns readiness into futures, schedules tasks over threads and adds timers, and it can
//! itself run on ferrio (MIGRATING.md shows how). Use ferrio directly when you are writing
//! that kind of machinery, or when you want the event loop in plain sight:
//!
//! - a runtime, a framework or a driver that owns its own scheduling;
//! - a single-threaded server or proxy written as explicit state machines, where every system
//!   call is yours to count;
//! - a small tool that needs to wait on a few sockets or pipes without pulling in a runtime.
//!
//! The [`guide`] explains the model step by step: how to drive a loop, the rules of
//! edge-triggered readiness, non-blocking connects, Wakers and threads, and what differs
//! between operating systems.
//!
//! # A complete event loop
//!
//! One thread owns a [`Poll`]. Sources (here a listener, a client and the connection it
//! accepts) are registered with the poll's [`Registry`] under a [`Token`] chosen by the
//! program; [`Poll::poll`] fills an [`Events`] buffer with the tokens of the sources that
//! became ready. Readiness is edge-triggered: after an event, repeat the operation until it
//! returns [`WouldBlock`](std::io::ErrorKind::WouldBlock), and only then wait again.
//!
//! ```
//! # #[cfg(all(feature = "os-poll", feature = "net"))]
//! # fn main() -> std::io::Result<()> {
//! use std::io::{self, Read, Write};
//! use std::time::Duration;
//!
//! use ferrio::net::{TcpListener, TcpStream};
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! const LISTENER: Token = Token(0);
//! const CLIENT: Token = Token(1);
//! const SERVER_SIDE: Token = Token(2);
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(128);
//!
//! let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//! poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
//!
//! // The client sends "ping" once it is connected and expects it back.
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! poll.registry().register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)?;
//! let mut sent = false;
//! let mut reply = Vec::new();
//!
//! // The server side echoes what it reads.
//! let mut server_side: Option<TcpStream> = None;
//! let mut buf = [0; 4096];
//!
//! while reply != b"ping" {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     if events.is_empty() {
//!         return Err(io::Error::new(io::ErrorKind::TimedOut, "no event for 5 s"));
//!     }
//!     for event in events.iter() {
//!         match event.token() {
//!             LISTENER => loop {
//!                 match listener.accept() {
//!                     Ok((mut stream, _peer)) => {
//!                         poll.registry().register(&mut stream, SERVER_SIDE, Interest::READABLE)?;
//!                         server_side = Some(stream);
//!                     }
//!                     Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!                     Err(e) => return Err(e),
//!                 }
//!             },
//!             SERVER_SIDE => {
//!                 let stream = server_side.as_mut().unwrap();
//!                 loop {
//!                     match stream.read(&mut buf) {
//!                         Ok(0) => break, // the client closed its side
//!                         // Four bytes always fit in an empty send buffer, so a
//!                         // short program may skip handling a partial write here.
//!                         Ok(n) => stream.write_all(&buf[..n])?,
//!                         Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!                         Err(e) => return Err(e),
//!                     }
//!                 }
//!             }
//!             CLIENT => {
//!                 // The first writable event means the connection is up (the guide
//!                 // shows how to check for a failed connect).
//!                 if event.is_writable() && !sent {
//!                     client.write_all(b"ping")?;
//!                     sent = true;
//!                 }
//!                 if event.is_readable() {
//!                     loop {
//!                         match client.read(&mut buf) {
//!                             Ok(0) => break,
//!                             Ok(n) => reply.extend_from_slice(&buf[..n]),
//!                             Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!                             Err(e) => return Err(e),
//!                         }
//!                     }
//!                 }
//!             }
//!             _ => unreachable!("no other token was registered"),
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "os-poll", feature = "net")))]
//! # fn main() {}
//! ```
//!
//! The repository's `examples/` directory has larger programs: a TCP echo server with
//! back-pressure, a UDP echo, a Waker driven from other threads, and the README's demo.
//!
//! # Cargo features
//!
//! | feature   | default | what it enables |
//! |-----------|---------|-----------------|
//! | `os-poll` | yes     | [`Poll::new`], the only way to open the operating system's poller. Without it every type still exists, so a library can name them in its own API, but no `Poll` can be made and therefore nothing can be registered; nothing panics at run time. |
//! | `os-ext`  | yes     | The [`unix`] module: [`unix::SourceFd`] (register any file descriptor) and [`unix::pipe`] (non-blocking pipes, also from a child process's stdin, stdout and stderr). Unix only. Turns on `os-poll`. |
//! | `net`     | yes     | The [`net`] module: [`TcpListener`](net::TcpListener), [`TcpStream`](net::TcpStream), [`UdpSocket`](net::UdpSocket), and on Unix [`UnixListener`](net::UnixListener), [`UnixStream`](net::UnixStream), [`UnixDatagram`](net::UnixDatagram). Turns on `os-poll` (in mio it does not). |
//! | `os-sources` | no   | The `ferrio::sources` module, which mio does not have: `Timer` (one-shot and periodic, monotonic, nanosecond resolution), `Signals` (which of a set of Unix signals arrived, chaining to handlers installed before) and `ChildExit` (a child process has exited; reaping stays with the caller), each an ordinary source. `Timer` on every Unix (`timerfd`, kqueue, or elsewhere a clock thread) and on Windows; `ChildExit` on Linux, Android, the kqueue systems, illumos, Solaris, Haiku, QNX, AIX and Windows; `Signals` on those Unix systems and GNU/Hurd, Cygwin and Redox; the `sources` module has the table. Turns on `os-poll`. |
//! | `log`     | no      | A `trace!` record through the [`log`](https://docs.rs/log) crate for each `register`, `reregister` and `deregister`. No public API. |
//!
//! The defaults are what the examples need. A library or runtime usually turns them off and
//! names what it uses, for example
//! `ferrio = { version = "0.1", default-features = false, features = ["net"] }`. The crate
//! builds in every combination of features, none included.
//!
//! Items that need a feature or a platform say so in their documentation, and the
//! documentation built the way docs.rs builds it shows the requirement as a label next to the
//! item.
//!
//! # Platforms
//!
//! Every target mio's CI checks, its backend, and how ferrio's CI checks it ("clippy" means
//! compiled and linted with warnings denied, with every feature and with none; the table is
//! made from `.ci/cross.sh` by `scripts/platform-table.py`):
//!
//! <!-- platforms:begin -->
//! | target | backend | how CI checks it |
//! |---|---|---|
//! | `x86_64-apple-darwin` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-apple-darwin` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `x86_64-apple-ios` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-apple-ios` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-apple-tvos` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-apple-visionos` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-apple-watchos` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `arm64_32-apple-watchos` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `x86_64-unknown-freebsd` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-unknown-freebsd` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `i686-unknown-freebsd` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `x86_64-unknown-netbsd` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-unknown-netbsd` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `x86_64-unknown-openbsd` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `aarch64-unknown-openbsd` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `x86_64-unknown-dragonfly` | kqueue | the backend's decision logic unit-tested on Linux; clippy (library, tests, examples) |
//! | `x86_64-unknown-linux-gnu` | epoll | the whole suite, debug and release, on epoll and on forced poll(2); sanitizers, Miri, loom, fault injection, model testing, soak; clippy (library, tests, examples) |
//! | `aarch64-unknown-linux-gnu` | epoll | clippy (library, tests, examples) |
//! | `i686-unknown-linux-gnu` | epoll | the suite, run natively on this kernel, on epoll and on forced poll(2); clippy (library, tests, examples) |
//! | `x86_64-unknown-linux-musl` | epoll | the suite, run natively on this kernel; clippy (library, tests, examples) |
//! | `aarch64-unknown-linux-musl` | epoll | clippy (library, tests, examples) |
//! | `aarch64-linux-android` | epoll | clippy (library, tests, examples) |
//! | `arm-linux-androideabi` | epoll | clippy (library, tests, examples) |
//! | `x86_64-unknown-redox` | epoll | clippy (library, tests, examples) |
//! | `aarch64-unknown-redox` | epoll | clippy (library, tests, examples) |
//! | `wasm32-unknown-emscripten` | epoll | clippy (library only: the dev-dependency socket2 0.5 does not compile for Emscripten (no IovLen)) |
//! | `x86_64-unknown-illumos` | epoll | clippy (library, tests, examples) |
//! | `x86_64-pc-solaris` | event ports | the backend's bookkeeping unit-tested on Linux, and its selector and Waker run there over an emulated event port; clippy (library, tests, examples) |
//! | `sparcv9-sun-solaris` | event ports | the backend's bookkeeping unit-tested on Linux, and its selector and Waker run there over an emulated event port; clippy (library, tests, examples) |
//! | `x86_64-unknown-fuchsia` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `aarch64-unknown-fuchsia` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `x86_64-pc-nto-qnx710` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `aarch64-unknown-nto-qnx710` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `x86_64-unknown-haiku` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `i686-unknown-hurd-gnu` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `armv7-sony-vita-newlibeabihf` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `x86_64-pc-cygwin` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library, tests, examples) |
//! | `x86_64-pc-windows-msvc` | IOCP + AFD | checked by .ci/windows.sh: clippy (library, tests, examples) and rustdoc |
//! | `x86_64-pc-windows-gnu` | IOCP + AFD | the suite, doc-tests and examples under Wine; checked by .ci/windows.sh |
//! | `i686-pc-windows-gnu` | IOCP + AFD | the tests built, warnings denied (this machine's Wine does not run 32-bit programs); checked by .ci/native-targets |
//! | `x86_64-unknown-hermit` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library only: the dev-dependency socket2 0.5 does not support Hermit) |
//! | `aarch64-unknown-hermit` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library only: as x86_64-unknown-hermit) |
//! | `armv6k-nintendo-3ds` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library only: the dev-dependency socket2 0.5 does not build for Horizon (no SOCK_RAW, MSG_TRUNC, ...)) |
//! | `riscv32imc-esp-espidf` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; clippy (library only: -Zbuild-std finds no panic_abort crate for the test harness, and the test helpers use signals its libc lacks (SIGKILL)) |
//! | `powerpc64-ibm-aix` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; not checked: std does not build from rust-src (1.95 and nightly 1.97: os/aix/fs.rs names stat fields libc 0.2.185 lacks) |
//! | `aarch64-unknown-nuttx` | poll(2) | its backend is the poll(2) code the Linux suite runs when forced; not checked: std does not build from stable 1.95 rust-src (no _SC_HOST_NAME_MAX in its libc for NuttX) |
//! | `wasm32-unknown-unknown` | none | the build stops at a `compile_error!` naming the target |
//! | `wasm32-wasip1` | WASI `poll_oneoff` | the `poll_oneoff` selector's unit tests under wasmtime (no runtime here hands in the sockets preview 1 needs); clippy (library, tests, examples) |
//! | `wasm32-wasip2` | poll(2) | the unit tests, the API checks and the loopback socket tests under wasmtime (the socket tests need the wasmtime CLI; without it only the rest run); clippy (library, tests, examples) |
//! <!-- platforms:end -->
//!
//! The poll(2) backend can be chosen on any Unix by building with
//! `RUSTFLAGS="--cfg ferrio_force_poll"`. mio's name for the same switch,
//! `--cfg mio_unsupported_force_poll_poll`, selects it too, and **programs that run tokio must
//! use mio's name**: tokio reads that cfg to learn that a short read does not prove a socket
//! drained, and under ferrio's name alone it would wait for an event the emulated backend
//! never sends. The guide's section on
//! [the poll(2) backend](guide#the-poll2-backend) explains the difference.
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
// The unsafe rules: an `unsafe fn` body is not one big unsafe block, and every unsafe block
// carries a `// SAFETY:` comment arguing for that block alone, with one unsafe operation in it.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]
// Clippy checks every API use against `rust-version` (1.71); CI's clippy runs with
// `-D warnings`, so tests and examples get the same check. (Not in a `[lints]` table of
// Cargo.toml: cargo 1.71 would warn about it in every dependent's build.)
#![deny(clippy::incompatible_msrv)]
// Builds without some features leave internal items unused (no poller without `os-poll`, no
// sources without `net` and `os-ext`). Dead code is checked in the build with every feature,
// which CI lints on every backend; the allowances that remain on single items are for code
// that no feature set uses on some backend.
#![cfg_attr(
    not(all(feature = "os-poll", feature = "net", feature = "os-ext")),
    allow(dead_code)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The prose names Unix-only items (`ferrio::unix`, the Unix-domain sockets), which a Windows
// Hermit or WASI build does not have (WASI also lacks `Waker` and, in preview 1, most of
// `net`): there those names stay plain text instead of failing the docs build.
#![cfg_attr(
    not(unix),
    allow(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)
)]
// The backend cfgs that build.rs sets are internal: the labels docs.rs shows name features and
// operating systems, which is what a user can act on. Items that exist only on some backends
// carry an explicit `doc(cfg)` in those terms.
#![cfg_attr(
    docsrs,
    doc(auto_cfg(hide(
        ferrio_unsupported,
        ferrio_epoll,
        ferrio_kqueue,
        ferrio_ports,
        ferrio_poll,
        ferrio_windows,
        ferrio_reuseport,
        ferrio_tclass_v6,
        ferrio_sock_flags,
        ferrio_msg_nosignal,
        ferrio_keepalive_params,
        ferrio_aio,
        ferrio_lio,
        ferrio_priority,
        ferrio_no_uds_dgram,
        ferrio_bindtodevice,
        ferrio_udp_batch,
        ferrio_mmsg,
        ferrio_udp_gso,
        ferrio_udp_cmsg,
        ferrio_epoll_pwait2,
        ferrio_timerfd,
        ferrio_kevent,
        ferrio_note_nseconds,
        ferrio_waitid,
        ferrio_pidfd,
        ferrio_errno_location,
        ferrio_errno_dunder,
        ferrio_errno_error,
        ferrio_errno_solarish,
        ferrio_errno_haiku,
        ferrio_errno_nto,
        ferrio_errno_aix,
        ferrio_signals,
        ferrio_no_sa_restart,
        ferrio_timer,
        ferrio_soft_timer,
        ferrio_child_exit
    )))
)]

// `fact_gated!`: items behind one of build.rs's platform facts, with the docs.rs label that
// names the fact's systems (written by build.rs, so the systems are listed only there).
include!(concat!(env!("OUT_DIR"), "/platform_facts.rs"));

#[cfg(ferrio_unsupported)]
compile_error!(concat!(
    "ferrio does not support the target `",
    env!("FERRIO_TARGET"),
    "`: it needs a Unix (epoll, kqueue or poll(2)), WASI or Windows."
));

/// Compiles each item inside only on targets that have a backend (`ferrio_unsupported` is set
/// by build.rs otherwise), so that an unsupported target gets the one `compile_error!` above
/// instead of a pile of unresolved names. It adds that one `cfg` and nothing else.
macro_rules! with_backend {
    ($($item:item)*) => {
        $(
            #[cfg(not(ferrio_unsupported))]
            $item
        )*
    };
}

with_backend! {
    mod interest;
    mod poll;
    mod sys;
    mod token;
    // WASI runs one thread, which a Waker could never wake from another: mio has no `Waker`
    // there, and neither has ferrio.
    #[cfg(not(ferrio_no_waker))]
    mod waker;

    pub mod event;
    pub mod guide;

    #[cfg(any(
        feature = "net",
        all(ferrio_posix, feature = "os-ext"),
        feature = "os-sources"
    ))]
    // `os-sources` alone registers timers but has no streams to read or write.
    // On Windows, where the sources register through a wrapper of their own, `IoSource` itself
    // is unused then.
    #[cfg_attr(
        not(any(feature = "net", all(ferrio_posix, feature = "os-ext"))),
        allow(unused_macros, unused_imports)
    )]
    #[cfg_attr(all(windows, not(feature = "net")), allow(dead_code))]
    mod io_source;

    #[cfg(feature = "net")]
    #[cfg_attr(docsrs, doc(cfg(feature = "net")))]
    pub mod net;

    #[cfg(all(unix, feature = "os-ext"))]
    #[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
    pub mod unix;
    // On Hermit and WASI preview 2 only `SourceFd` is public, as `ferrio::hermit::SourceFd` and
    // `ferrio::wasi::SourceFd` (as in mio).
    #[cfg(all(not(unix), ferrio_posix, feature = "os-ext"))]
    mod unix;

    /// WASI-only extras (feature `os-ext`; WASI preview 2 and later, as in mio):
    /// [`SourceFd`](wasi::SourceFd) registers any file descriptor.
    #[cfg(all(target_os = "wasi", ferrio_posix, feature = "os-ext"))]
    #[cfg_attr(docsrs, doc(cfg(all(target_os = "wasi", feature = "os-ext"))))]
    pub mod wasi {
        pub use crate::unix::SourceFd;
    }

    /// Hermit-only types (feature `os-ext`): [`SourceFd`](hermit::SourceFd) registers any file
    /// descriptor, as on Unix.
    #[cfg(all(target_os = "hermit", feature = "os-ext"))]
    #[cfg_attr(docsrs, doc(cfg(all(target_os = "hermit", feature = "os-ext"))))]
    pub mod hermit {
        pub use crate::unix::SourceFd;
    }

    #[cfg(all(feature = "os-sources", any(ferrio_timer, ferrio_signals)))]
    #[cfg_attr(docsrs, doc(cfg(feature = "os-sources")))]
    pub mod sources;

    /// Windows-only types (feature `os-ext`).
    #[cfg(all(windows, feature = "os-ext"))]
    #[cfg_attr(docsrs, doc(cfg(all(windows, feature = "os-ext"))))]
    pub mod windows {
        pub use crate::sys::named_pipe::NamedPipe;
    }

    #[doc(no_inline)]
    pub use event::Events;
    pub use interest::Interest;
    pub use poll::{Poll, Registry};
    pub use token::Token;
    #[cfg(not(ferrio_no_waker))]
    pub use waker::Waker;

    // The test-only failpoints (tests/faults.rs), never in a normal build.
    #[cfg(ferrio_failpoints)]
    #[doc(hidden)]
    pub use sys::failpoints::api as __failpoints;
}

/// The code blocks of README.md, compiled and run as doc-tests so that the README cannot drift
/// from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[derive(Debug)]
pub struct ReadmeDoctests;

/// The code blocks of MIGRATING.md that use ferrio alone, compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../MIGRATING.md")]
#[derive(Debug)]
pub struct MigratingDoctests;
