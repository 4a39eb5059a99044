use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crate::io_source::{impl_source, IoSource};
use crate::sys::sources::{self as sys, MAX_SIGNAL};

/// A source that reports which of a chosen set of Unix signals arrived since it was last
/// read.
///
/// Requires the `os-sources` cargo feature; see [the module](crate::sources) for the systems.
///
/// Register it for [`Interest::READABLE`](crate::Interest::READABLE); on each readable event,
/// [`received`](Signals::received) returns the set of signals that arrived. A signal that
/// arrives several times before the read is reported once.
///
/// * **No blocking, no stealing.** The first source to watch a signal installs a
///   process-wide handler for it (with `SA_RESTART`, which QNX Neutrino 7 lacks: there a call
///   the handler interrupts fails with `Interrupted`), which records the signal in every source
///   watching it, wakes them, and then calls the handler that was installed before, if any
///   (as signal-hook does). No signal is blocked in any thread, so other threads and child
///   processes see no change to their signal masks. The handler stays installed for the life
///   of the process; once no source watches a signal, a signal whose previous disposition
///   was the default action gets that action again when it next arrives (the process ends,
///   for `SIGINT` or `SIGTERM`).
/// * **Several sources** may watch the same signal: each is told.
/// * **Interruptions.** A signal sent to the process may be handled on the thread that is
///   blocked in [`Poll::poll`](crate::Poll::poll), which then returns
///   [`Interrupted`](io::ErrorKind::Interrupted) (the wait calls are not restarted after a
///   handler): call it again, and the source's event is reported.
/// * **Reading allocates nothing**, nor does a delivery. Creating a source may allocate (its
///   slot in the handler's list, reused after the source is dropped).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::sources::Signals;
/// use ferrio::{Events, Interest, Poll, Token};
///
/// let mut poll = Poll::new()?;
/// let mut signals = Signals::new(&[libc::SIGUSR1])?;
/// poll.registry().register(&mut signals, Token(0), Interest::READABLE)?;
///
/// // SAFETY: raise takes no pointers.
/// unsafe { libc::raise(libc::SIGUSR1) };
/// let mut events = Events::with_capacity(8);
/// loop {
///     poll.poll(&mut events, None)?;
///     match signals.received() {
///         Ok(set) => { assert!(set.contains(libc::SIGUSR1)); break; }
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-sources"))))]
#[derive(Debug)]
pub struct Signals {
    inner: IoSource<sys::Signals>,
}

/// A set of signal numbers, as [`Signals::received`] returns it.
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-sources"))))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SignalSet(u64);

impl SignalSet {
    /// Whether `signal` is in the set.
    pub fn contains(self, signal: i32) -> bool {
        (1..=MAX_SIGNAL).contains(&signal) && self.0 & (1 << (signal - 1)) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The signal numbers in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = i32> {
        (1..=MAX_SIGNAL).filter(move |&s| self.contains(s))
    }
}

impl Signals {
    /// Watches the signals in `signals` (libc's numbers, such as `libc::SIGINT`). Installs
    /// the handler for each one that no source watched before.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for an empty list, a number that is no
    /// signal, a signal that cannot be caught (`SIGKILL`, `SIGSTOP`), or one that reports a
    /// fault of the thread itself (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`), which a handler
    /// that returns would only repeat. Nothing is installed then. Otherwise the OS error of
    /// the notifier's creation or of `sigaction`.
    pub fn new(signals: &[i32]) -> io::Result<Signals> {
        let mut set = 0u64;
        for &signal in signals {
            if !(1..=MAX_SIGNAL).contains(&signal) || forbidden(signal) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Signals::new: a signal that cannot be watched",
                ));
            }
            set |= 1 << (signal - 1);
        }
        if set == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Signals::new: no signal to watch",
            ));
        }
        Ok(Signals {
            inner: IoSource::new(sys::Signals::new(set)?),
        })
    }

    /// The signals that arrived since the last call.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) when none did (a spurious event, or one
    /// for signals already read); otherwise the OS error of draining the notifier.
    pub fn received(&self) -> io::Result<SignalSet> {
        // The poll(2) backend is re-armed before the read (which takes every pending signal
        // at once), as for `Timer::expirations`.
        match self
            .inner
            .read_op(|_| Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock)))
        {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        self.inner.read_op(|s| s.read()).map(SignalSet)
    }
}

/// Signals a `Signals` refuses: uncatchable, or synchronous faults.
fn forbidden(signal: i32) -> bool {
    [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
    ]
    .contains(&signal)
}

impl_source!(Signals => inner);

impl AsRawFd for Signals {
    /// The descriptor the poller watches (the notifier's readable end).
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_fd().as_raw_fd()
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
