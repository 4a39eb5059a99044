//! Failpoints: test-only faults in front of the system calls, so that tests can make the Nth
//! call of a named call fail with a chosen OS error and check what the caller sees.
//!
//! Compiled in only for the unit tests (`cfg(test)`) and with `--cfg ferrio_failpoints` (for
//! the integration tests, through `ferrio::__failpoints`). Otherwise [`syscall!`] expands to
//! the plain `cvt(call)` and [`failpoint!`] to nothing, and `hit` does not exist: a build
//! without them holds no trace of them.
//!
//! Each call site names its call; the names, and what each covers, are in `NAMES`. A plan
//! is armed for one thread (the integration tests' `fail`, so that tests running in parallel
//! do not trip over each other's faults), or for any thread and one fd or socket (the unit
//! tests that fail a call on a thread they spawn).

/// `cvt(call)`, the result of a Unix system call returning -1 on error, with the failpoint
/// `name` in front: when a plan for `name` fires, `call` is not made and its error comes back.
#[cfg(all(ferrio_posix, any(test, ferrio_failpoints)))]
macro_rules! syscall {
    ($name:literal, $call:expr) => {
        match $crate::sys::failpoints::hit($name, None) {
            Some(err) => Err(err),
            None => $crate::sys::cvt($call),
        }
    };
}
#[cfg(all(ferrio_posix, not(any(test, ferrio_failpoints))))]
macro_rules! syscall {
    ($name:literal, $call:expr) => {
        $crate::sys::cvt($call)
    };
}

/// Returns `Err` from the enclosing function when a plan for `name` (for the fd or socket
/// `key`, if given) fires; nothing at all without failpoints.
#[cfg(any(test, ferrio_failpoints))]
macro_rules! failpoint {
    ($name:literal) => {
        if let Some(err) = $crate::sys::failpoints::hit($name, None) {
            return Err(err);
        }
    };
    ($name:literal, $key:expr) => {
        if let Some(err) = $crate::sys::failpoints::hit($name, Some($key as usize)) {
            return Err(err);
        }
    };
}
#[cfg(not(any(test, ferrio_failpoints)))]
#[allow(unused_macros)] // Unused where no notifier writes (WASI) and sockets are off.
macro_rules! failpoint {
    ($name:literal $(, $key:expr)?) => {};
}

#[allow(unused_imports)]
pub(crate) use failpoint;
#[cfg(ferrio_posix)]
pub(crate) use syscall;

/// Every failpoint, named after its system call, or after the operation where one call
/// serves several purposes.
#[cfg(any(test, ferrio_failpoints))]
pub const NAMES: &[&str] = &[
    // Pollers: epoll, kqueue, event ports, poll(2).
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    // epoll_pwait2, tried for timeouts finer than a millisecond (64-bit Linux).
    "epoll_pwait2",
    "kqueue",
    "kevent",
    "port_create",
    "port_associate",
    "port_dissociate",
    "port_getn",
    "port_send",
    // The file an fd names, for the event ports table.
    "fstat",
    "poll",
    // The notifier behind Wakers and the poll(2) backend's wake-ups (eventfd or pipe), keyed
    // by its readable fd: creation, the wake-up write, the draining read.
    "eventfd",
    "pipe2",
    "notify_write",
    "notify_read",
    // The sources of `ferrio::sources` (the kqueue systems use "kqueue" and "kevent").
    "timerfd_create",
    "timerfd_settime",
    "timer_read",
    "pidfd_open",
    "waitid",
    // OpenBSD's child-exit watch asks whether a process is a child of this one.
    "sysctl",
    // Sockets.
    "socket",
    "socketpair",
    "bind",
    "listen",
    "connect",
    "accept",
    "accept4",
    "recv",
    "recvmsg",
    "recvfrom",
    "send",
    "sendmsg",
    "sendto",
    // Batched UDP (Linux).
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    "setsockopt",
    "getsockopt",
    "fcntl",
    // `Read` and `Write` of every stream and pipe end, inside the operation (so a
    // `WouldBlock` re-arms as a real one would).
    "read",
    "write",
    // Windows: an AFD poll submission, keyed by base socket.
    "afd_poll",
    // Windows, batched UDP: the lookup of WSARecvMsg (its failure selects the sendto/recvfrom
    // path), and the two calls.
    "WSAIoctl",
    "WSASendMsg",
    "WSARecvMsg",
];

#[cfg(any(test, ferrio_failpoints))]
pub(crate) use self::plans::*;

#[cfg(any(test, ferrio_failpoints))]
// The unit tests use part of it; `ferrio::__failpoints` all.
#[cfg_attr(not(ferrio_failpoints), allow(dead_code))]
mod plans {
    use std::io;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, MutexGuard, PoisonError};
    use std::thread::{self, ThreadId};

    /// Makes the error of a fired plan; runs on the calling thread, in place of the call,
    /// without any lock held (so it may wait for other threads).
    pub(crate) type Hook = Box<dyn FnOnce() -> io::Error + Send>;

    /// One armed fault: the calls of `name` that match it pass `skip` times, then fail
    /// `times` times.
    pub(crate) struct Plan {
        name: &'static str,
        skip: usize,
        times: usize,
        code: i32,
        /// Only calls from this thread match (all threads if `None`).
        thread: Option<ThreadId>,
        /// Only calls for this fd or socket match (all if `None`).
        key: Option<usize>,
        hook: Option<Hook>,
    }

    static PLANS: Mutex<Vec<Plan>> = Mutex::new(Vec::new());
    /// How many plans are armed: with none, a call costs one load.
    static ARMED: AtomicUsize = AtomicUsize::new(0);

    fn plans() -> MutexGuard<'static, Vec<Plan>> {
        PLANS.lock().unwrap_or_else(PoisonError::into_inner)
    }

    impl Plan {
        /// The next call of `name` on this thread fails once with OS error `code`.
        pub(crate) fn new(name: &'static str, code: i32) -> Plan {
            assert!(
                super::NAMES.contains(&name),
                "no failpoint is named {name:?}"
            );
            Plan {
                name,
                skip: 0,
                times: 1,
                code,
                thread: Some(thread::current().id()),
                key: None,
                hook: None,
            }
        }

        /// The `nth` matching call (counting from 1) is the first to fail.
        pub(crate) fn nth(mut self, nth: usize) -> Plan {
            assert!(nth >= 1, "calls are counted from 1");
            self.skip = nth - 1;
            self
        }

        /// `times` calls in a row fail.
        pub(crate) fn times(mut self, times: usize) -> Plan {
            self.times = times;
            self
        }

        /// Calls from any thread match, for fd or socket `key` only.
        #[allow(dead_code)] // The unit tests of some backends only.
        pub(crate) fn any_thread_for(mut self, key: usize) -> Plan {
            self.thread = None;
            self.key = Some(key);
            self
        }

        /// The (single) failure's error is what `hook` returns, run in place of the call.
        #[allow(dead_code)] // The unit tests of some backends only.
        pub(crate) fn with(mut self, hook: impl FnOnce() -> io::Error + Send + 'static) -> Plan {
            self.hook = Some(Box::new(hook));
            self.times = 1;
            self
        }

        pub(crate) fn arm(self) {
            if self.times > 0 {
                plans().push(self);
                ARMED.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// The error that this call of `name` (for fd or socket `key`) returns instead of being
    /// made, if a plan fires.
    pub(crate) fn hit(name: &'static str, key: Option<usize>) -> Option<io::Error> {
        if ARMED.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let me = thread::current().id();
        let mut plans = plans();
        let index = plans.iter().position(|p| {
            p.name == name
                && p.thread.map_or(true, |t| t == me)
                && p.key.map_or(true, |k| Some(k) == key)
        })?;
        let plan = &mut plans[index];
        if plan.skip > 0 {
            plan.skip -= 1;
            return None;
        }
        plan.times -= 1;
        let (code, hook) = (plan.code, plan.hook.take());
        if plan.times == 0 {
            plans.remove(index);
            ARMED.fetch_sub(1, Ordering::SeqCst);
        }
        drop(plans);
        Some(match hook {
            Some(hook) => hook(),
            None => io::Error::from_raw_os_error(code),
        })
    }

    /// How many of this thread's plans have not finished failing.
    pub(crate) fn armed() -> usize {
        let me = Some(thread::current().id());
        plans().iter().filter(|p| p.thread == me).count()
    }

    /// Disarms this thread's plans; returns how many there were.
    pub(crate) fn clear() -> usize {
        let me = Some(thread::current().id());
        let mut plans = plans();
        let before = plans.len();
        plans.retain(|p| p.thread != me);
        let removed = before - plans.len();
        ARMED.fetch_sub(removed, Ordering::SeqCst);
        removed
    }
}

/// The failpoints, for the integration tests (`tests/faults.rs`): built only with
/// `RUSTFLAGS="--cfg ferrio_failpoints"`, and not part of the API. Plans are per thread: a
/// plan armed on one thread fires only for calls that thread makes.
#[cfg(ferrio_failpoints)]
pub mod api {
    pub use super::NAMES;

    /// Makes the `nth` next call (counting from 1) of failpoint `name` on this thread fail
    /// with OS error `errno`. Panics if no failpoint has that name.
    pub fn fail(name: &'static str, nth: usize, errno: i32) {
        fail_times(name, nth, 1, errno);
    }

    /// Like [`fail`], for `times` calls in a row from the `nth` on.
    pub fn fail_times(name: &'static str, nth: usize, times: usize, errno: i32) {
        super::Plan::new(name, errno).nth(nth).times(times).arm();
    }

    /// How many of this thread's plans have not finished failing (0 once every armed fault
    /// has fired).
    pub fn armed() -> usize {
        super::armed()
    }

    /// Disarms this thread's plans; returns how many had not finished failing.
    pub fn clear() -> usize {
        super::clear()
    }

    /// Whether a timeout finer than a millisecond will try `epoll_pwait2` (false where ferrio
    /// never does: other backends, 32-bit targets, or after an ENOSYS it remembered).
    pub fn precise_timeouts() -> bool {
        #[cfg(all(ferrio_epoll, ferrio_epoll_pwait2))]
        return crate::sys::pwait2::available();
        #[cfg(not(all(ferrio_epoll, ferrio_epoll_pwait2)))]
        return false;
    }

    /// Whether a new `ChildExit` will try `pidfd_open` (false where ferrio never does, or
    /// after an ENOSYS or EPERM it remembered).
    pub fn pidfd_available() -> bool {
        #[cfg(all(feature = "os-sources", ferrio_pidfd))]
        return crate::sys::sources::pidfd_available();
        #[cfg(not(all(feature = "os-sources", ferrio_pidfd)))]
        return false;
    }

    /// Forgets a `pidfd_open` ENOSYS or EPERM that ferrio remembered.
    pub fn forget_missing_pidfd() {
        #[cfg(all(feature = "os-sources", ferrio_pidfd))]
        crate::sys::sources::forget_missing_pidfd();
    }

    /// Forgets an `epoll_pwait2` ENOSYS that ferrio remembered (one a test injected), so that
    /// later timeouts try the call again. Nothing where ferrio never tries it.
    pub fn forget_missing_precise_timeouts() {
        #[cfg(all(ferrio_epoll, ferrio_epoll_pwait2))]
        crate::sys::pwait2::forget_missing();
    }
}
