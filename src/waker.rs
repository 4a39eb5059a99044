use std::io;

use crate::sys::{self, WakerApi};
use crate::{Registry, Token};

/// Wakes a [`Poll`](crate::Poll) from another thread.
///
/// `wake` makes the poller report a readable event carrying the Waker's token. Unlike mio,
/// any number of Wakers may exist for one `Poll`, each with its own token; tokens may also be
/// shared with other sources, since ferrio never tells a wake-up apart by its token.
///
/// A wake-up carries no data, and several `wake` calls may be reported as one event: keep the
/// messages in a queue of your own, push to it *before* calling `wake`, and empty it on every
/// Waker event. Events are only promised while the Waker is alive. The guide's section on
/// [Wakers and threads](crate::guide#wakers-and-threads) has a complete example.
///
/// A Waker is an eventfd on Linux and Android, a user event (`EVFILT_USER`) on the kqueue
/// systems, a non-blocking pipe where the poll(2) backend is used on other systems, and a
/// packet posted to the completion port on Windows. Making
/// one needs a [`Registry`], so in practice the `os-poll` feature, which opens the poller.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::{Events, Poll, Token, Waker};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let waker = Arc::new(Waker::new(poll.registry(), Token(0))?);
/// let remote = Arc::clone(&waker);
/// let thread = std::thread::spawn(move || remote.wake().expect("wake"));
///
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// assert!(events.iter().any(|e| e.token() == Token(0)));
/// thread.join().unwrap();
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Waker {
    inner: sys::Waker,
}

impl Waker {
    /// Creates a Waker registered with `registry`'s poller, whose events carry `token`.
    ///
    /// # Errors
    ///
    /// Fails only when the system cannot supply the Waker's descriptor (for example when
    /// the process has run out of file descriptors).
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        sys::Waker::new(registry.selector(), token).map(|inner| Waker { inner })
    }

    /// Makes the poller report a readable event with this Waker's token. Several wakes before
    /// the poller runs may be reported as one event. Callable from any thread (share the Waker
    /// through an `Arc`); it does not block.
    ///
    /// # Errors
    ///
    /// Does not fail in practice: a full counter or pipe is emptied and the write retried. An
    /// error from the system is returned as it is.
    pub fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
