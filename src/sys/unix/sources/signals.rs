//! Signals as a readable descriptor, on every Unix that has the sources: a process-wide
//! handler records each signal in the sources that watch it and writes to their notifiers
//! (an eventfd on Linux and Android, a pipe elsewhere), then chains to the handler that was
//! installed before it, as signal-hook does. No signal is blocked anywhere, and nothing is
//! taken from other handlers.
//!
//! The handler needs no lock: the watchers form a list of nodes that is only ever pushed
//! to, and whose nodes are never freed but reused (a dropped source frees its node for the
//! next one). A node is claimed, filled (notifier fd, then the watched set) and only then
//! seen by the handler; it is released by clearing the watched set and the fd and then
//! waiting until no handler is running anywhere (one global counter that each handler run
//! raises and lowers), so that a handler never writes to a descriptor that has been closed,
//! nor marks a signal in a source that the node now serves.
//!
//! kqueue's `EVFILT_SIGNAL` is not used: it does not stop the signal's default action, so a
//! handler would be needed anyway, and the handler's notifier is then all that is needed.

use std::io;
use std::os::fd::RawFd;
use std::ptr;
use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicUsize, Ordering::SeqCst,
};
use std::sync::{Mutex, PoisonError};

use crate::sys::unix::notify::Notifier;

/// The highest signal number a set can hold (Linux's real-time signals end at 64).
pub(crate) const MAX_SIGNAL: i32 = 64;

/// A set of signals, bit `n - 1` for signal `n`, kept as two 32-bit atomics (not every
/// target has 64-bit atomics, and the handler may use lock-free operations only).
struct Bits([AtomicU32; 2]);

impl Bits {
    const fn new() -> Bits {
        Bits([AtomicU32::new(0), AtomicU32::new(0)])
    }
    fn load(&self) -> u64 {
        u64::from(self.0[0].load(SeqCst)) | (u64::from(self.0[1].load(SeqCst)) << 32)
    }
    fn store(&self, set: u64) {
        self.0[0].store(set as u32, SeqCst);
        self.0[1].store((set >> 32) as u32, SeqCst);
    }
    fn insert(&self, sig: i32) {
        let bit = (sig - 1) as u32;
        self.0[(bit / 32) as usize].fetch_or(1 << (bit % 32), SeqCst);
    }
    fn contains(&self, sig: i32) -> bool {
        let bit = (sig - 1) as u32;
        self.0[(bit / 32) as usize].load(SeqCst) & (1 << (bit % 32)) != 0
    }
    fn take(&self) -> u64 {
        u64::from(self.0[0].swap(0, SeqCst)) | (u64::from(self.0[1].swap(0, SeqCst)) << 32)
    }
}

/// One watcher's slot in the handler's list.
struct Node {
    /// The next node; set before the node is published, never changed after.
    next: AtomicPtr<Node>,
    /// Whether a source owns the node.
    claimed: AtomicBool,
    /// The signals the owner watches (empty while unowned).
    watched: Bits,
    /// The signals that arrived since the owner last read.
    pending: Bits,
    /// The notifier's writing end (-1 while unowned).
    fd: AtomicI32,
}

/// The list's head: the latest node pushed.
static HEAD: AtomicPtr<Node> = AtomicPtr::new(ptr::null_mut());
/// How many handler runs are in progress, on any thread.
static IN_HANDLER: AtomicUsize = AtomicUsize::new(0);
/// The signals whose disposition is the handler (set under `SETUP`; cleared by the handler
/// when it gives an unwatched signal back to its default action).
static INSTALLED: Bits = Bits::new();
/// Serialises the installations (never taken by the handler).
static SETUP: Mutex<()> = Mutex::new(());

#[allow(clippy::declare_interior_mutable_const)] // Only as the repeated array element below.
const NO_PREVIOUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(ptr::null_mut());
/// Each signal's disposition before the handler replaced it, chained to by the handler. Each
/// is allocated once per installation and never freed, so a handler still reading an older
/// one reads valid memory.
static PREVIOUS: [AtomicPtr<libc::sigaction>; MAX_SIGNAL as usize + 1] =
    [NO_PREVIOUS; MAX_SIGNAL as usize + 1];

/// The calling thread's `errno`, which the handler must leave as it found it.
fn errno_location() -> *mut libc::c_int {
    #[cfg(ferrio_errno_location)]
    // SAFETY: takes no arguments, returns this thread's errno address; async-signal-safe.
    return unsafe { libc::__errno_location() };
    #[cfg(ferrio_errno_dunder)]
    // SAFETY: takes no arguments, returns this thread's errno address; async-signal-safe.
    return unsafe { libc::__errno() };
    #[cfg(ferrio_errno_error)]
    // SAFETY: takes no arguments, returns this thread's errno address; async-signal-safe.
    return unsafe { libc::__error() };
}

/// Makes the notifier whose writing end is `fd` readable (async-signal-safe: one `write`).
fn wake(fd: RawFd) {
    // An eventfd takes the 8 bytes of a 1; a pipe takes one byte, of any value. A full pipe
    // or counter is already readable, so an error is harmless and ignored.
    let one: u64 = 1;
    // SAFETY: `one` is 8 live bytes, at least `WRITE_LEN`.
    let _ = unsafe { libc::write(fd, (&one as *const u64).cast(), Notifier::WRITE_LEN) };
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let errno = errno_location();
    // SAFETY: `errno` is this thread's errno, readable.
    let saved = unsafe { *errno };
    IN_HANDLER.fetch_add(1, SeqCst);
    let mut watched = false;
    let mut node = HEAD.load(SeqCst);
    while !node.is_null() {
        // SAFETY: nodes are leaked when pushed and never freed, so every pointer in the list
        // stays valid.
        let n = unsafe { &*node };
        if (1..=MAX_SIGNAL).contains(&sig) && n.watched.contains(sig) {
            let fd = n.fd.load(SeqCst);
            if fd >= 0 {
                n.pending.insert(sig);
                wake(fd);
                watched = true;
            }
        }
        node = n.next.load(SeqCst);
    }
    IN_HANDLER.fetch_sub(1, SeqCst);
    // SAFETY: the arguments are the kernel's, passed on unchanged.
    unsafe { chain(sig, info, context, watched) };
    // SAFETY: as above, and writable.
    unsafe { *errno = saved };
}

/// Hands the signal to the disposition the handler replaced. A previous default action is
/// run only when no source watches the signal (then the handler gives the signal back to it
/// and raises it again); a watched signal is the sources' to handle.
///
/// # Safety
///
/// The arguments must be those the kernel passed to the handler.
unsafe fn chain(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
    watched: bool,
) {
    let Some(index) = usize::try_from(sig).ok().filter(|&i| i < PREVIOUS.len()) else {
        return;
    };
    let previous = PREVIOUS[index].load(SeqCst);
    if previous.is_null() {
        return;
    }
    // SAFETY: published records are never freed or changed.
    let previous = unsafe { &*previous };
    let action = previous.sa_sigaction;
    if action == libc::SIG_IGN {
        return;
    }
    if action == libc::SIG_DFL {
        if !watched && !ignored_by_default(sig) {
            INSTALLED.0[((sig - 1) / 32) as usize].fetch_and(!(1 << ((sig - 1) % 32)), SeqCst);
            // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask, no flags).
            let mut default: libc::sigaction = unsafe { std::mem::zeroed() };
            default.sa_sigaction = libc::SIG_DFL;
            // SAFETY: `default` is a live sigaction; sigaction and raise are
            // async-signal-safe. The raised signal is delivered once the handler returns.
            unsafe { libc::sigaction(sig, &default, ptr::null_mut()) };
            // SAFETY: as above.
            unsafe { libc::raise(sig) };
        }
        return;
    }
    if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: with SA_SIGINFO, the previous installer stored a three-argument handler.
        let f = unsafe {
            std::mem::transmute::<
                libc::sighandler_t,
                extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void),
            >(action)
        };
        f(sig, info, context);
    } else {
        // SAFETY: without SA_SIGINFO, the previous installer stored a one-argument handler.
        let f = unsafe {
            std::mem::transmute::<libc::sighandler_t, extern "C" fn(libc::c_int)>(action)
        };
        f(sig);
    }
}

/// Signals whose default action is to do nothing (or only to continue a stopped process).
fn ignored_by_default(sig: libc::c_int) -> bool {
    sig == libc::SIGCHLD || sig == libc::SIGCONT || sig == libc::SIGURG || sig == libc::SIGWINCH
}

/// Installs the handler for `sig` unless it is already installed, remembering the previous
/// disposition. Called with `SETUP` held.
fn install(sig: libc::c_int) -> io::Result<()> {
    let bits = &INSTALLED;
    if bits.contains(sig) {
        return Ok(());
    }
    // SAFETY: an all-zero sigaction is a valid value; filled in below.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = handler;
    new.sa_sigaction = handler as libc::sighandler_t;
    new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
    // SAFETY: `new.sa_mask` is a live sigset_t.
    unsafe { libc::sigemptyset(&mut new.sa_mask) };
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // The previous disposition is published before the handler can run, so the handler
    // always finds it.
    // SAFETY: a null new action only reads the current one into `old`, a live sigaction.
    crate::sys::cvt(unsafe { libc::sigaction(sig, ptr::null(), &mut old) })?;
    PREVIOUS[sig as usize].store(Box::into_raw(Box::new(old)), SeqCst);
    // SAFETY: `new` is a live, filled-in sigaction; the old one is not asked for.
    crate::sys::cvt(unsafe { libc::sigaction(sig, &new, ptr::null_mut()) })?;
    bits.insert(sig);
    Ok(())
}

/// Claims a free node, or pushes a new one.
fn claim() -> &'static Node {
    let mut node = HEAD.load(SeqCst);
    while !node.is_null() {
        // SAFETY: nodes are never freed.
        let n: &'static Node = unsafe { &*node };
        if n.claimed
            .compare_exchange(false, true, SeqCst, SeqCst)
            .is_ok()
        {
            return n;
        }
        node = n.next.load(SeqCst);
    }
    let n: &'static Node = Box::leak(Box::new(Node {
        next: AtomicPtr::new(ptr::null_mut()),
        claimed: AtomicBool::new(true),
        watched: Bits::new(),
        pending: Bits::new(),
        fd: AtomicI32::new(-1),
    }));
    let mut head = HEAD.load(SeqCst);
    loop {
        n.next.store(head, SeqCst);
        match HEAD.compare_exchange(head, n as *const Node as *mut Node, SeqCst, SeqCst) {
            Ok(_) => return n,
            Err(now) => head = now,
        }
    }
}

/// A source's watch on a set of signals: its node and its notifier.
pub(crate) struct Signals {
    node: &'static Node,
    notifier: Notifier,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals")
            .field("watched", &format_args!("{:#x}", self.node.watched.load()))
            .field("fd", &self.notifier.fd())
            .finish()
    }
}

impl Signals {
    /// Watches the signals of `set` (bit `n - 1` for signal `n`; the caller has checked
    /// that each can be caught).
    pub(crate) fn new(set: u64) -> io::Result<Signals> {
        let notifier = Notifier::new()?;
        {
            let _setup = SETUP.lock().unwrap_or_else(PoisonError::into_inner);
            for sig in 1..=MAX_SIGNAL {
                if set & (1 << (sig - 1)) != 0 {
                    install(sig)?;
                }
            }
        }
        let node = claim();
        node.pending.store(0);
        node.fd.store(notifier.write_fd(), SeqCst);
        node.watched.store(set);
        Ok(Signals { node, notifier })
    }

    /// Makes the notifier readable without a signal (for the child-exit fallback).
    #[cfg_attr(not(ferrio_waitid), allow(dead_code))]
    pub(crate) fn poke(&self) -> io::Result<()> {
        self.notifier.notify()
    }

    /// The signals that arrived since the last call (bit `n - 1` for signal `n`), or
    /// `WouldBlock` if none did.
    pub(crate) fn read(&self) -> io::Result<u64> {
        // Drained first: a signal after the drain writes again, so it is reported.
        self.notifier.drain()?;
        match self.node.pending.take() {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            set => Ok(set),
        }
    }
}

impl std::os::fd::AsRawFd for Signals {
    fn as_raw_fd(&self) -> RawFd {
        self.notifier.fd()
    }
}

impl std::os::fd::AsFd for Signals {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.notifier.as_fd()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.node.watched.store(0);
        self.node.fd.store(-1, SeqCst);
        // A handler that saw the old fd is still running; once none runs, none can see it
        // (the stores above come first in the one order of SeqCst operations). The notifier
        // is closed after this, and the node is free for reuse.
        while IN_HANDLER.load(SeqCst) != 0 {
            std::hint::spin_loop();
        }
        self.node.claimed.store(false, SeqCst);
    }
}
