use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::process::Child;

use crate::io_source::{impl_source, IoSource};
use crate::sys::sources as sys;

/// A source that becomes readable when a child process exits.
///
/// Requires the `os-sources` cargo feature; Linux, Android, the kqueue systems (Apple's,
/// FreeBSD, NetBSD, OpenBSD, DragonFly), illumos, Solaris, Haiku, QNX Neutrino and AIX.
///
/// Register it for [`Interest::READABLE`](crate::Interest::READABLE); once the child has
/// exited, [`exited`](ChildExit::exited) returns `Ok(())` (and keeps doing so).
///
/// **Reaping stays with the caller.** The source only watches: it never collects the exit
/// status, so the child stays a zombie until the caller reaps it with
/// [`Child::try_wait`] or [`Child::wait`] (or `waitpid`). Drop the `ChildExit` before reaping
/// (or at least never call [`exited`](ChildExit::exited) after): once reaped, the process ID
/// may be reused.
///
/// * **Linux 5.3 and later:** a pidfd per child, readable when it exits: no signal handler,
///   and no work for other children. Older kernels (and sandboxes that refuse `pidfd_open`,
///   which is remembered after the first refusal) use the fallback below.
/// * **kqueue systems:** a private kqueue per child with `EVFILT_PROC` and `NOTE_EXIT`.
///   OpenBSD, which has no `waitid`, asks `sysctl` whether the process is a child of this
///   one, and remembers the exit once reported: there [`exited`](ChildExit::exited) keeps
///   returning `Ok(())` after the child is reaped, instead of `ECHILD`.
/// * **Fallback** (older Linux, Android, the systems with neither pidfd nor kqueue, and a
///   child that had exited before the watch began on kqueue): a [`Signals`](crate::sources::Signals)-style watch on `SIGCHLD`, so
///   every child's exit wakes every such watch, each of which then checks its own child.
///   Installing that handler also means that a program which had set `SIGCHLD` to
///   `SIG_IGN` (children reaped by the kernel) gets zombies to reap instead.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::sources::ChildExit;
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::process::Command;
///
/// let mut poll = Poll::new()?;
/// let mut child = Command::new("true").spawn()?;
/// let mut exit = ChildExit::new(&child)?;
/// poll.registry().register(&mut exit, Token(0), Interest::READABLE)?;
///
/// let mut events = Events::with_capacity(8);
/// while exit.exited().is_err() {
///     poll.poll(&mut events, None)?;
/// }
/// drop(exit);
/// assert!(child.try_wait()?.expect("exited").success());
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-sources"))))]
#[derive(Debug)]
pub struct ChildExit {
    inner: IoSource<sys::ChildExit>,
}

impl ChildExit {
    /// Watches `child` for its exit.
    ///
    /// # Errors
    ///
    /// The OS error `ECHILD` if the child has already been reaped; otherwise the OS error of
    /// the calls that set up the watch (`EMFILE`, ...).
    pub fn new(child: &Child) -> io::Result<ChildExit> {
        ChildExit::from_pid(child.id())
    }

    /// Watches the process `pid`, which must be an unreaped child of this process (one
    /// started other than through [`std::process::Command`], say).
    ///
    /// # Errors
    ///
    /// The OS error `ECHILD` if `pid` is not a child of this process or has been reaped
    /// already (`InvalidInput` if it is not a process ID at all); otherwise the OS error of
    /// the calls that set up the watch.
    pub fn from_pid(pid: u32) -> io::Result<ChildExit> {
        let pid = libc::pid_t::try_from(pid)
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "ChildExit::from_pid: not a process ID",
                )
            })?;
        Ok(ChildExit {
            inner: IoSource::new(sys::ChildExit::new(pid)?),
        })
    }

    /// `Ok(())` once the child has exited (without reaping it).
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) while it runs; `ECHILD` if it has been
    /// reaped meanwhile; otherwise the OS error of `waitid`.
    pub fn exited(&self) -> io::Result<()> {
        self.inner.read_op(|watch| watch.check())
    }
}

impl_source!(ChildExit => inner);

impl AsRawFd for ChildExit {
    /// The descriptor the poller watches (a pidfd, a kqueue, or a notifier).
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_fd().as_raw_fd()
    }
}

impl AsFd for ChildExit {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
