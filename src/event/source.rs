use std::io;

use crate::{Interest, Registry, Token};

/// Something that can be registered with a [`Registry`]: the sockets and pipes of this crate,
/// [`SourceFd`](crate::unix::SourceFd) for any other fd, or a type of your own that forwards to
/// one of those.
///
/// Call these methods through [`Registry::register`], [`Registry::reregister`] and
/// [`Registry::deregister`], not directly.
///
/// ```
/// # #[cfg(all(unix, feature = "os-ext"))]
/// # fn main() -> std::io::Result<()> {
/// use ferrio::event::Source;
/// use ferrio::unix::pipe;
/// use ferrio::{Interest, Poll, Registry, Token};
/// use std::io;
///
/// /// A type of our own that is registered through the pipe it holds.
/// struct Mailbox {
///     rx: pipe::Receiver,
/// }
///
/// impl Source for Mailbox {
///     fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
///         self.rx.register(r, t, i)
///     }
///     fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
///         self.rx.reregister(r, t, i)
///     }
///     fn deregister(&mut self, r: &Registry) -> io::Result<()> {
///         self.rx.deregister(r)
///     }
/// }
///
/// let poll = Poll::new()?;
/// let (_tx, rx) = pipe::new()?;
/// let mut mailbox = Mailbox { rx };
/// poll.registry().register(&mut mailbox, Token(1), Interest::READABLE)?;
/// # Ok(())
/// # }
/// # #[cfg(not(all(unix, feature = "os-ext")))]
/// # fn main() {}
/// ```
pub trait Source {
    /// Registers `self` with `registry`; see [`Registry::register`].
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Replaces the registration of `self`; see [`Registry::reregister`].
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Removes the registration of `self`; see [`Registry::deregister`].
    fn deregister(&mut self, registry: &Registry) -> io::Result<()>;
}

impl<T> Source for Box<T>
where
    T: Source + ?Sized,
{
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        (**self).deregister(registry)
    }
}
