//! The event port calls that the selector and the Waker make, as safe functions: libc's on
//! Solaris. In the unit tests of other systems an event port emulated in the process over
//! poll(2) (`fake.rs`) stands in, with the same functions, so that the selector and the
//! Waker run on Linux too.

#[cfg(not(ferrio_ports))]
// (Under Miri the Waker, `send`'s user, is not built: see `mod.rs`.)
#[cfg_attr(miri, allow(unused_imports))]
pub(super) use super::fake::{associate, create, dissociate, getn, send, ETIME};

#[cfg(ferrio_ports)]
pub(super) use self::solaris::{associate, create, dissociate, getn, send};
/// The error of a `port_getn` that timed out (which the BSDs' libc, where the emulation also
/// runs, does not name).
#[cfg(ferrio_ports)]
pub(super) const ETIME: libc::c_int = libc::ETIME;

#[cfg(ferrio_ports)]
mod solaris {
    use std::io;
    use std::mem::MaybeUninit;
    use std::os::fd::{FromRawFd, OwnedFd, RawFd};

    use libc::{c_int, c_uint, c_void};

    use super::super::table::{Event, PORT_SOURCE_FD, PORT_SOURCE_USER};
    use crate::sys::failpoints::syscall;

    // `table.rs` names the constants and mirrors `port_event` so that it compiles (and is
    // tested) where libc has neither: they must be the system's.
    const _: () = assert!(PORT_SOURCE_FD == libc::PORT_SOURCE_FD);
    const _: () = assert!(PORT_SOURCE_USER == libc::PORT_SOURCE_USER);
    const _: () = assert!(std::mem::size_of::<Event>() == std::mem::size_of::<libc::port_event>());
    const _: () =
        assert!(std::mem::align_of::<Event>() == std::mem::align_of::<libc::port_event>());

    /// A new port (not yet close-on-exec).
    pub(crate) fn create() -> io::Result<OwnedFd> {
        // SAFETY: port_create takes no arguments; a non-negative result is a new fd we own.
        let port = syscall!("port_create", unsafe { libc::port_create() })?;
        // SAFETY: `port` was just created and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(port) })
    }

    /// `port_associate(port, PORT_SOURCE_FD, fd, events, user)`.
    pub(crate) fn associate(port: RawFd, fd: RawFd, events: c_int, user: usize) -> io::Result<()> {
        // SAFETY: no pointer is passed: the object is an fd number and the user value a number
        // that the kernel only stores and hands back.
        syscall!("port_associate", unsafe {
            libc::port_associate(
                port,
                libc::PORT_SOURCE_FD,
                fd as libc::uintptr_t,
                events,
                user as *mut c_void,
            )
        })
        .map(drop)
    }

    /// `port_dissociate(port, PORT_SOURCE_FD, fd)`.
    pub(crate) fn dissociate(port: RawFd, fd: RawFd) -> io::Result<()> {
        // SAFETY: no pointer is passed.
        syscall!("port_dissociate", unsafe {
            libc::port_dissociate(port, libc::PORT_SOURCE_FD, fd as libc::uintptr_t)
        })
        .map(drop)
    }

    /// `port_send(port, events, user)`.
    pub(crate) fn send(port: RawFd, events: c_int, user: usize) -> io::Result<()> {
        // SAFETY: no pointer is passed: the user value is a number that the kernel only stores
        // and hands back.
        syscall!("port_send", unsafe {
            libc::port_send(port, events, user as *mut c_void)
        })
        .map(drop)
    }

    /// `port_getn` into `buf`, waiting for at least `*nget` events, at most `timeout`
    /// (`None`: for ever); `*nget` is then the number fetched.
    pub(crate) fn getn(
        port: RawFd,
        buf: &mut [MaybeUninit<Event>],
        nget: &mut c_uint,
        timeout: Option<&mut libc::timespec>,
    ) -> io::Result<()> {
        let ts = timeout.map_or(std::ptr::null_mut(), |ts| ts as *mut libc::timespec);
        let max = c_uint::try_from(buf.len()).unwrap_or(c_uint::MAX);
        // SAFETY: `buf` has room for `max` events of `port_event`'s layout (checked above);
        // `nget` and the timespec (or null) are live for the duration of the call.
        syscall!("port_getn", unsafe {
            libc::port_getn(
                port,
                buf.as_mut_ptr().cast::<libc::port_event>(),
                max,
                nget,
                ts,
            )
        })
        .map(drop)
    }
}
