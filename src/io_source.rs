//! The one adapter between a socket or pipe and the selector backend.
//!
//! Backends that emulate edge triggering (poll(2)) must re-arm a source when an operation
//! returns `WouldBlock`, or the source never reports again. The wrapped I/O object is reachable
//! *only* through [`IoSource::do_io`] (and its shorthands), which re-arms on `WouldBlock` by
//! construction: an operation that skips the re-arm cannot be written. (CHANGELOG.md lists the
//! operations of mio's that skipped it.)
//!
//! The module also writes, once for every registrable type, the `Source` impl
//! ([`impl_source!`] over [`Registration`]), `try_io` ([`try_io_method!`]) and the `Read` and
//! `Write` impls ([`io_impls!`]).

use std::io;
#[cfg(ferrio_fd)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
#[cfg(windows)]
use std::os::windows::io::{AsRawSocket, AsSocket, BorrowedSocket};

use std::sync::{Arc, Weak};

use crate::poll::PollerId;
use crate::sys::{self, IoSourceApi, RawIo, Watch};
use crate::{Interest, Registry, Token};

/// What the backend watches for a wrapped object: its fd on Unix, its socket on Windows.
pub(crate) trait AsRawIo {
    fn as_raw_io(&self) -> RawIo;
}

#[cfg(ferrio_fd)]
impl<T: AsRawFd> AsRawIo for T {
    fn as_raw_io(&self) -> RawIo {
        self.as_raw_fd()
    }
}

#[cfg(windows)]
impl<T: AsRawSocket> AsRawIo for T {
    fn as_raw_io(&self) -> RawIo {
        self.as_raw_socket()
    }
}

pub(crate) struct IoSource<T> {
    // Declared first so it drops first: a backend that keeps a table of fds removes this one
    // before the fd is closed and its number can be reused.
    state: sys::IoSourceState,
    /// The poller this source is registered with, if any (see [`Owner`]).
    owner: Owner,
    inner: T,
}

/// Which `Poll` a source is registered with, so that registering it with a second one, or
/// reregistering or deregistering it through another one, is refused with `AlreadyExists` on
/// every backend and in every build, before the backend sees the call. (The kernel would accept
/// the second registration on epoll and kqueue, and both pollers would then report the
/// source.) Only `register`, `reregister` and `deregister` touch it, each of which makes a
/// system call anyway: the check is a pointer comparison and a load, keeping the reference
/// costs one atomic increment at `register` and one decrement when it is dropped, and the
/// I/O operations never look at it.
///
/// The reference is weak: a poller that no longer exists (every `Poll` and `Registry` of it
/// dropped) holds no source, so the source may then be registered elsewhere, as the kernel
/// ended its old registration with the poller.
#[derive(Default)]
struct Owner(Option<Weak<PollerId>>);

/// Where a source stands with respect to the `Registry` of a call.
enum Standing {
    /// Not registered with any poller that still exists, as far as this source knows.
    Unregistered,
    /// Registered with this registry's poller.
    Here,
    /// Registered with another poller that still exists.
    Elsewhere,
}

impl Owner {
    fn standing(&mut self, registry: &Registry) -> Standing {
        match &self.0 {
            None => Standing::Unregistered,
            Some(weak) if std::ptr::eq(weak.as_ptr(), Arc::as_ptr(registry.poller())) => {
                Standing::Here
            }
            Some(weak) if weak.strong_count() > 0 => Standing::Elsewhere,
            Some(_) => {
                // That poller is gone, and its registrations with it.
                self.0 = None;
                Standing::Unregistered
            }
        }
    }

    /// Refuses a call through `registry` when the source belongs to another live poller.
    fn check(&mut self, registry: &Registry) -> io::Result<Standing> {
        match self.standing(registry) {
            Standing::Elsewhere => Err(sys::registered_with_another_poll()),
            standing => Ok(standing),
        }
    }
}

impl<T: AsRawIo> IoSource<T> {
    pub(crate) fn new(inner: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            owner: Owner::default(),
            inner,
        }
    }

    /// Runs `f` on the inner object; if it returns `WouldBlock`, re-arms the directions in
    /// `blocked` that the source is registered for.
    #[inline]
    pub(crate) fn do_io<R, F>(&self, blocked: Interest, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state
            .do_io(self.inner.as_raw_io(), blocked, || f(&self.inner))
    }

    /// An operation that waits for readability (read, recv, accept, peek).
    #[inline]
    pub(crate) fn read_op<R, F>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.do_io(Interest::READABLE, f)
    }

    /// An operation that waits for writability (write, send).
    #[inline]
    pub(crate) fn write_op<R, F>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.do_io(Interest::WRITABLE, f)
    }

    /// Any other operation (options, addresses, user closures such as `try_io`): the
    /// direction of the operation is unknown, so should it return `WouldBlock`, every
    /// registered interest is re-armed.
    #[inline]
    pub(crate) fn any_op<R, F>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.do_io(Interest::READABLE | Interest::WRITABLE, f)
    }

    /// `take_error` of a socket: an error the backend holds for this registration (a failed
    /// poll submission on Windows) comes first, then the one `f` reads from the OS
    /// (`SO_ERROR`), run as an operation of direction `blocked`.
    #[cfg(feature = "net")]
    pub(crate) fn take_error<F>(&self, blocked: Interest, f: F) -> io::Result<Option<io::Error>>
    where
        F: FnOnce(&T) -> io::Result<Option<io::Error>>,
    {
        if let Some(err) = self.state.take_error() {
            return Ok(Some(err));
        }
        self.do_io(blocked, f)
    }

    /// Unwraps the I/O object, dropping any registration state first.
    pub(crate) fn into_inner(self) -> T {
        // The state is dropped here (deregistering on backends that keep a table).
        let IoSource { inner, .. } = self;
        inner
    }
}

#[cfg(ferrio_fd)]
impl<T: AsFd> AsFd for IoSource<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(windows)]
impl<T: AsSocket> AsSocket for IoSource<T> {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.inner.as_socket()
    }
}

/// What a registration call asks for: the three methods of [`Source`](crate::event::Source) as one value, so that
/// each registrable type writes its registration logic once ([`Registration`]) and
/// [`impl_source!`] writes the `Source` impl for all of them.
pub(crate) enum RegistryOp {
    Register(Token, Interest),
    Reregister(Token, Interest),
    Deregister,
}

/// The registration logic of a type whose `Source` impl [`impl_source!`] writes.
pub(crate) trait Registration {
    fn registration(&mut self, registry: &Registry, op: RegistryOp) -> io::Result<()>;
}

/// Implements [`Source`](crate::event::Source) for `$ty` by handing each call to [`Registration::registration`] of
/// `self.$field` (or of `self` itself when no field is named). Generic parameters of the impl,
/// if any, come first in brackets.
macro_rules! impl_source {
    ([$($generics:tt)*] $ty:ty $(=> $field:ident)?) => {
        impl<$($generics)*> $crate::event::Source for $ty {
            fn register(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                let op = $crate::io_source::RegistryOp::Register(token, interests);
                $crate::io_source::Registration::registration(&mut (*self)$(.$field)?, registry, op)
            }

            fn reregister(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                let op = $crate::io_source::RegistryOp::Reregister(token, interests);
                $crate::io_source::Registration::registration(&mut (*self)$(.$field)?, registry, op)
            }

            fn deregister(&mut self, registry: &$crate::Registry) -> ::std::io::Result<()> {
                let op = $crate::io_source::RegistryOp::Deregister;
                $crate::io_source::Registration::registration(&mut (*self)$(.$field)?, registry, op)
            }
        }
    };
    ($ty:ty $(=> $field:ident)?) => {
        $crate::io_source::impl_source!([] $ty $(=> $field)?);
    };
}
pub(crate) use impl_source;

impl<T: AsRawIo> Registration for IoSource<T> {
    fn registration(&mut self, registry: &Registry, op: RegistryOp) -> io::Result<()> {
        let standing = self.owner.check(registry)?;
        let (selector, fd) = (registry.selector(), self.inner.as_raw_io());
        match op {
            RegistryOp::Register(token, interests) => {
                // With the same poller, the backend answers (AlreadyExists where it can tell).
                self.state
                    .register(selector, fd, Watch { token, interests })?;
                self.owner.0 = Some(Arc::downgrade(registry.poller()));
            }
            RegistryOp::Reregister(token, interests) => {
                self.state
                    .reregister(selector, fd, Watch { token, interests })?;
                if let Standing::Unregistered = standing {
                    // kqueue registers an unknown source on reregister.
                    self.owner.0 = Some(Arc::downgrade(registry.poller()));
                }
            }
            RegistryOp::Deregister => {
                let result = self.state.deregister(selector, fd);
                // NotFound: the registration was already gone (removed through a `SourceFd`).
                if result
                    .as_ref()
                    .map_or_else(|e| e.kind() == io::ErrorKind::NotFound, |_| true)
                {
                    self.owner.0 = None;
                }
                return result;
            }
        }
        Ok(())
    }
}

impl_source!([T: AsRawIo] IoSource<T>);

/// `try_io` of a type whose `inner` is an [`IoSource`], with its documentation; `$what` names
/// the type's kind ("stream", "socket", "pipe end") in the text.
// Unused by WASI's `SourceFd`-only `os-ext` builds (no pipes there).
#[cfg_attr(not(any(unix, feature = "net")), allow(unused_macros))]
macro_rules! try_io_method {
    ($what:literal) => {
        #[doc = concat!("Runs `f`, which does I/O on this ", $what, "'s handle by other means")]
        /// (for example `recvmsg` with ancillary data, or passing fds, through libc), so that a
        /// `WouldBlock` from it is handled like one from ferrio's own methods: the next
        /// readiness change is still reported, on every backend. `f` must return `WouldBlock`
        /// if and only if the handle was not ready.
        ///
        /// ferrio cannot tell which direction `f` used, so a `WouldBlock` from it re-arms
        /// every interest the source is registered for (on Windows and on the poll(2) backend,
        /// which re-arm by hand): a spurious event in the other direction may follow.
        pub fn try_io<F, T>(&self, f: F) -> ::std::io::Result<T>
        where
            F: FnOnce() -> ::std::io::Result<T>,
        {
            self.inner.any_op(|_| f())
        }
    };
}
#[cfg_attr(not(any(unix, feature = "net")), allow(unused_imports))]
pub(crate) use try_io_method;

/// `Read` (`$trait` = `Read`, `$op` = `read_op`) or `Write` (`Write`, `write_op`) for `$ty`
/// and `&$ty`, whose `inner` is an [`IoSource`]: the impl for `&$ty` runs `$one` (a plain
/// transfer of `$buf`) or `$many` (a vectored one of `$bufs`) on the inner object `$io` as one
/// operation of that direction, and the impl for `$ty` calls it. `flush` has nothing to do.
/// The failpoint "read" or "write" (tests only) sits inside the operation.
#[cfg_attr(not(any(unix, feature = "net")), allow(unused_macros))]
macro_rules! io_impls {
    (Read for $ty:ty, |$io:pat_param, $buf:ident, $bufs:ident| $one:expr, $many:expr) => {
        $crate::io_source::io_impls!(@impl Read, read_op, "read", $ty, |$io, $buf, $bufs| $one, $many,
            read(&mut [u8]), read_vectored(&mut [::std::io::IoSliceMut<'_>]), {});
    };
    (Write for $ty:ty, |$io:pat_param, $buf:ident, $bufs:ident| $one:expr, $many:expr) => {
        $crate::io_source::io_impls!(@impl Write, write_op, "write", $ty, |$io, $buf, $bufs| $one, $many,
            write(&[u8]), write_vectored(&[::std::io::IoSlice<'_>]), {
                fn flush(&mut self) -> ::std::io::Result<()> {
                    Ok(())
                }
            });
    };
    (@impl $trait:ident, $op:ident, $fp:literal, $ty:ty, |$io:pat_param, $buf:ident, $bufs:ident| $one:expr,
        $many:expr, $one_fn:ident($one_ty:ty), $many_fn:ident($many_ty:ty), {$($flush:tt)*}) => {
        impl ::std::io::$trait for $ty {
            fn $one_fn(&mut self, buf: $one_ty) -> ::std::io::Result<usize> {
                ::std::io::$trait::$one_fn(&mut &*self, buf)
            }

            fn $many_fn(&mut self, bufs: $many_ty) -> ::std::io::Result<usize> {
                ::std::io::$trait::$many_fn(&mut &*self, bufs)
            }

            $($flush)*
        }

        impl ::std::io::$trait for &$ty {
            fn $one_fn(&mut self, $buf: $one_ty) -> ::std::io::Result<usize> {
                self.inner.$op(|$io| {
                    $crate::sys::failpoints::failpoint!($fp);
                    $one
                })
            }

            fn $many_fn(&mut self, $bufs: $many_ty) -> ::std::io::Result<usize> {
                self.inner.$op(|$io| {
                    $crate::sys::failpoints::failpoint!($fp);
                    $many
                })
            }

            $($flush)*
        }
    };
}
#[cfg_attr(not(any(unix, feature = "net")), allow(unused_imports))]
pub(crate) use io_impls;

impl<T: std::fmt::Debug> std::fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}
