//! The kqueue selector (macOS, iOS, tvOS, visionOS, watchOS, FreeBSD, NetBSD, OpenBSD,
//! DragonFly).
//!
//! - `selector.rs`: the system calls: the selector and its events.
//! - `waker.rs`: the Waker, an `EVFILT_USER` filter.
//! - `rules.rs`: every decision that needs no kernel (which changes an operation submits, how
//!   their receipts become a result, how an event reads as readiness, token and timeout
//!   conversions). It is also compiled in the unit tests of every Unix build, so that it is
//!   tested on Linux, where no kqueue exists.

#[cfg_attr(not(ferrio_kqueue), allow(dead_code))]
mod rules;
#[cfg(ferrio_kqueue)]
mod selector;
#[cfg(ferrio_kqueue)]
mod waker;

#[cfg(ferrio_kqueue)]
pub(crate) use self::selector::{Event, Selector};
#[cfg(ferrio_kqueue)]
pub(crate) use self::waker::Waker;
