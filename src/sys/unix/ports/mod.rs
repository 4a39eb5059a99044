//! The Solaris event ports selector (`ferrio_ports`), as mio has it since 1.2.2.
//!
//! An fd is watched by associating it with the port (`port_associate` with `PORT_SOURCE_FD`,
//! the poll(2) bits to watch and the registration's key as user data); `port_getn` fetches
//! what fired. An association is one-shot: the port drops it when it fires. So this backend
//! emulates edge triggering with the rule of `edge/`, shared with the poll(2) backend: the
//! directions an event reports are disarmed; the poller associates whatever else is armed
//! again at once; and the directions reported are associated again by `reregister` or by the
//! `do_io` of an operation that returned `WouldBlock` (skipped, without lock or system call,
//! while nothing was disarmed since). Unlike poll(2), changes need not wake the poller: the
//! port takes associations from any thread while another waits in `port_getn`. `SourceFd`
//! users re-arm by calling `reregister` after each event, as with poll(2) (mio 1.2.5 instead
//! polls the fds it reported with poll(2) on later calls).
//!
//! Closing an fd dissociates it without ferrio seeing it. A `SourceFd` closed without being
//! deregistered leaves its entry behind, so each entry remembers which file (`fstat`'s device
//! and inode) it was made for: a new file under the same number replaces the stale entry, as
//! on epoll, while the same file registered twice is refused.
//!
//! A Waker posts a user event (`port_send`) carrying its id, and sends nothing more until the
//! poller has fetched it (see `table::Pending`).
//!
//! - `table.rs`: every decision that needs no kernel: the registrations and what each has
//!   associated, how fetched events become ferrio's events and which associations follow,
//!   the Wakers' events, the timeout. It is also compiled in the unit tests of every Unix
//!   build, so it is tested on Linux.
//! - `selector.rs`: the port, its shared state, `select`; `kernel.rs`: its system calls.
//! - `waker.rs`: the Waker.
//! - `fake.rs`: an event port emulated over poll(2), on which the unit tests of other systems
//!   run the selector and the Waker (`selector_tests.rs`).

#[cfg_attr(not(ferrio_ports), allow(dead_code))]
mod table;

// The selector and the Waker also run in the unit tests of other systems, over an emulated
// port (`fake.rs`); not in a loom build, whose types only its models may use.
#[cfg(any(ferrio_ports, all(test, not(loom))))]
#[cfg_attr(not(ferrio_ports), allow(dead_code))]
mod kernel;
#[cfg(any(ferrio_ports, all(test, not(loom))))]
#[cfg_attr(not(ferrio_ports), allow(dead_code))]
mod selector;
#[cfg(any(ferrio_ports, all(test, not(loom), not(miri))))]
mod waker;

#[cfg(all(test, not(ferrio_ports), not(loom)))]
mod fake;
// Not under Miri, which has no poll(2) for the emulated port (nor fcntl's F_GETFD).
#[cfg(all(test, not(loom), not(miri)))]
mod selector_tests;

#[cfg(all(ferrio_ports, any(feature = "net", feature = "os-ext")))]
pub(crate) use self::selector::IoSourceState;
#[cfg(ferrio_ports)]
pub(crate) use self::selector::Selector;
#[cfg(ferrio_ports)]
pub(crate) use self::table::Event;
#[cfg(ferrio_ports)]
pub(crate) use self::waker::Waker;
