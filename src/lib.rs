//! ferrio: fast, low-level, non-blocking I/O and event notification.
//!
//! ferrio is the layer an async runtime or a hand-written event loop stands on: a thin readiness
//! API over the operating system's poller (epoll on Linux and Android, poll(2) elsewhere and
//! whenever it is forced), plus non-blocking sockets and pipes. Its public API is the one of
//! mio 1.x, so code written for mio builds and behaves the same on ferrio.
//!
//! # A complete event loop
//!
//! ```
//! # #[cfg(all(feature = "os-poll", feature = "net"))]
//! # fn main() -> std::io::Result<()> {
//! use ferrio::net::{TcpListener, TcpStream};
//! use ferrio::{Events, Interest, Poll, Token};
//! use std::time::Duration;
//!
//! const SERVER: Token = Token(0);
//! const CLIENT: Token = Token(1);
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(128);
//!
//! let mut server = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//! poll.registry().register(&mut server, SERVER, Interest::READABLE)?;
//!
//! let mut client = TcpStream::connect(server.local_addr()?)?;
//! poll.registry().register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)?;
//!
//! let mut accepted = false;
//! while !accepted {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     for event in events.iter() {
//!         if event.token() == SERVER {
//!             // Edge-triggered: accept until the listener says WouldBlock.
//!             loop {
//!                 match server.accept() {
//!                     Ok((_stream, _addr)) => accepted = true,
//!                     Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
//!                     Err(e) => return Err(e),
//!                 }
//!             }
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "os-poll", feature = "net")))]
//! # fn main() {}
//! ```
//!
//! # Cargo features
//!
//! | feature   | default | enables |
//! |-----------|---------|---------|
//! | `os-poll` | yes     | [`Poll::new`], the operating system's poller. Without it the types exist but no `Poll` can be made. |
//! | `os-ext`  | yes     | `ferrio::unix` ([`unix::SourceFd`], [`unix::pipe`]). Implies `os-poll`. |
//! | `net`     | yes     | `ferrio::net`: TCP, UDP and Unix-domain sockets. Implies `os-poll` (mio does not). |
//! | `log`     | no      | trace-level logging of registrations through the `log` crate. |
//!
//! # Platforms
//!
//! | platform                | backend  | how it is tested |
//! |-------------------------|----------|------------------|
//! | Linux, Android          | epoll    | full test suite on Linux |
//! | any Unix, when forced   | poll(2)  | full test suite on Linux with `--cfg ferrio_force_poll` |
//! | other Unix              | poll(2)  | type-checked |
//!
//! The poll(2) backend is chosen on any Unix by building with
//! `RUSTFLAGS="--cfg ferrio_force_poll"`. mio's name for the same switch,
//! `--cfg mio_unsupported_force_poll_poll`, selects it too, and programs that run tokio must use
//! mio's name: tokio reads that cfg to learn that a short read does not prove a socket drained,
//! and under ferrio's name alone it would wait for an event the emulated backend never sends.
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(ferrio_unsupported)]
compile_error!(concat!(
    "ferrio does not support the target `",
    env!("FERRIO_TARGET"),
    "`: it needs a Unix (epoll, kqueue or poll(2))."
));

// Every item below is compiled only on targets that have a backend (`ferrio_unsupported` is
// set by build.rs otherwise), so an unsupported target gets the one `compile_error!` above
// instead of a pile of unresolved names.
#[cfg(not(ferrio_unsupported))]
mod interest;
#[cfg(not(ferrio_unsupported))]
mod poll;
#[cfg(not(ferrio_unsupported))]
mod sys;
#[cfg(not(ferrio_unsupported))]
mod token;
#[cfg(not(ferrio_unsupported))]
mod waker;

#[cfg(not(ferrio_unsupported))]
pub mod event;

#[cfg(all(
    not(ferrio_unsupported),
    any(feature = "net", all(unix, feature = "os-ext"))
))]
mod io_source;

#[cfg(all(not(ferrio_unsupported), feature = "net"))]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub mod net;

#[cfg(all(not(ferrio_unsupported), unix, feature = "os-ext"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
pub mod unix;

#[cfg(not(ferrio_unsupported))]
#[doc(no_inline)]
pub use event::Events;
#[cfg(not(ferrio_unsupported))]
pub use interest::Interest;
#[cfg(not(ferrio_unsupported))]
pub use poll::{Poll, Registry};
#[cfg(not(ferrio_unsupported))]
pub use token::Token;
#[cfg(not(ferrio_unsupported))]
pub use waker::Waker;
