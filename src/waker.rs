use std::io;

use crate::{sys, Registry, Token};

/// Wakes a [`Poll`](crate::Poll) from another thread.
///
/// `wake` makes the poller report a readable event carrying the Waker's token. Unlike mio,
/// any number of Wakers may exist for one `Poll`, each with its own token; tokens may also be
/// shared with other sources, since ferrio never tells a wake-up apart by its token.
///
/// Events are only promised while the Waker is alive.
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
    /// Creates a Waker whose events carry `token`.
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        sys::Waker::new(registry.selector(), token).map(|inner| Waker { inner })
    }

    /// Makes the poller report a readable event with this Waker's token. Several wakes before
    /// the poller runs may be reported as one event.
    pub fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
