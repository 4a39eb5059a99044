use std::io;
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::process::Child;

use crate::io_source::impl_source;
#[cfg(not(windows))]
use crate::io_source::IoSource;
use crate::sys::sources as sys;
// Windows: the sources are not sockets, and register through a wrapper of their own.
#[cfg(windows)]
use crate::sys::sources::PortSource as IoSource;

/// A source that becomes readable when a child process exits.
///
/// Requires the `os-sources` cargo feature; Linux, Android, the kqueue systems (Apple's,
/// FreeBSD, NetBSD, OpenBSD, DragonFly), illumos, Solaris, Haiku, QNX Neutrino and AIX, and
/// Windows.
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
///   child that had exited before the watch began on kqueue): a `Signals`-style watch on
///   `SIGCHLD`, so
///   every child's exit wakes every such watch, each of which then checks its own child.
///   Installing that handler also means that a program which had set `SIGCHLD` to
///   `SIG_IGN` (children reaped by the kernel) gets zombies to reap instead.
/// * **Windows:** a handle of the watch's own on the process (duplicated from the `Child`'s,
///   or opened from the process ID) and a one-shot wait registered with the system's thread
///   pool, which posts to the `Poll`'s completion port when the process ends. There is
///   nothing to reap: the exit code stays readable through the `Child` (`try_wait`), before
///   or after the watch is dropped, and `exited` keeps returning `Ok(())`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::sources::ChildExit;
/// use ferrio::{Events, Interest, Poll, Token};
/// use std::process::Command;
///
/// let mut poll = Poll::new()?;
/// # #[cfg(unix)]
/// let mut child = Command::new("true").spawn()?;
/// # #[cfg(windows)]
/// # let mut child = Command::new("cmd").args(["/c", "exit 0"]).spawn()?;
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
#[cfg_attr(docsrs, doc(cfg(all(any(unix, windows), feature = "os-sources"))))]
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
    /// the calls that set up the watch (`EMFILE`, ...). On Windows, where no child is ever
    /// reaped, the OS error of `DuplicateHandle` or `RegisterWaitForSingleObject`.
    pub fn new(child: &Child) -> io::Result<ChildExit> {
        #[cfg(windows)]
        return Ok(ChildExit {
            inner: IoSource::new(sys::ChildExit::from_child(child)?),
        });
        #[cfg(not(windows))]
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
    ///
    /// On Windows any process this one may open (`SYNCHRONIZE` and
    /// `PROCESS_QUERY_LIMITED_INFORMATION` access) can be watched, a child or not; the OS
    /// error of `OpenProcess`, `ERROR_INVALID_PARAMETER` (kind `InvalidInput`) when no
    /// process has that ID, and `InvalidInput` for 0.
    pub fn from_pid(pid: u32) -> io::Result<ChildExit> {
        #[cfg(windows)]
        let pid = Some(pid).filter(|&p| p != 0).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "ChildExit::from_pid: not a process ID",
            )
        })?;
        #[cfg(windows)]
        return Ok(ChildExit {
            inner: IoSource::new(sys::ChildExit::from_pid(pid)?),
        });
        #[cfg(not(windows))]
        let pid = libc::pid_t::try_from(pid)
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "ChildExit::from_pid: not a process ID",
                )
            })?;
        #[cfg(not(windows))]
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

#[cfg(unix)]
impl AsRawFd for ChildExit {
    /// The descriptor the poller watches (a pidfd, a kqueue, or a notifier).
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_fd().as_raw_fd()
    }
}

#[cfg(unix)]
impl AsFd for ChildExit {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
