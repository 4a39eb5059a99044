//! The errors the backends and the sources share, built in one place so that every backend
//! names a mistake the same way. Each keeps the OS error, if any, as its `source()`.

use std::io;

/// An error about how a source was registered, naming the mistake. The OS error, if any,
/// stays reachable through `source()`.
#[derive(Debug)]
pub(crate) struct RegistrationError {
    message: &'static str,
    os: Option<io::Error>,
}

impl std::fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)?;
        if let Some(os) = &self.os {
            write!(f, " ({os})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistrationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.os.as_ref().map(|e| e as _)
    }
}

/// A [`RegistrationError`] of `kind`, wrapped in an `io::Error`.
fn registration_error(
    kind: io::ErrorKind,
    message: &'static str,
    os: Option<io::Error>,
) -> io::Error {
    io::Error::new(kind, RegistrationError { message, os })
}

/// A source registered twice with the same poller. (kqueue cannot detect it.)
#[cfg_attr(ferrio_kqueue, allow(dead_code))]
pub(crate) fn already_registered(os: Option<io::Error>) -> io::Error {
    let message = "source already registered with this Poll";
    registration_error(io::ErrorKind::AlreadyExists, message, os)
}

/// A source of this crate registered with one `Poll`, used through another one's registry.
pub(crate) fn registered_with_another_poll() -> io::Error {
    let message = "source already registered with another Poll";
    registration_error(io::ErrorKind::AlreadyExists, message, None)
}

/// A source that this poller does not watch.
pub(crate) fn not_registered(os: Option<io::Error>) -> io::Error {
    let message = "source not registered with this Poll";
    registration_error(io::ErrorKind::NotFound, message, os)
}

/// A named pipe registered with a `Poll` other than the first one it was registered with: its
/// completion port cannot be changed, even after `deregister`.
#[cfg(all(windows, feature = "os-ext"))]
pub(crate) fn bound_to_another_poll() -> io::Error {
    let message = "a named pipe can be attached to one Poll only, and this one was attached to \
                   another";
    registration_error(io::ErrorKind::AlreadyExists, message, None)
}

/// `Poll::poll` with an `Events` buffer of capacity 0, which could never receive an event.
pub(crate) fn no_room_for_events() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "Poll::poll: the Events buffer has capacity 0 and can hold no event",
    )
}
