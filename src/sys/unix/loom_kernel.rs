//! A kernel for the loom models (`--cfg loom`, unit tests only): the few system calls the
//! cross-thread protocols of the epoll Waker and the poll(2) backend make, over loom's types,
//! so that loom sees every synchronisation the real kernel would provide.
//!
//! It stands in behind the seams the real code uses: [`Notifier`] and [`drain_fd`] are
//! `notify.rs`'s API (an eventfd), [`poll`] is poll(2) and [`epoll_wait_edge`] is `epoll_wait`
//! reporting an eventfd's edge. An fd here is a number with a byte count (`data`) and, for
//! an eventfd, a pending edge; `POLLIN` is ready while `data > 0`. Everything is under one
//! lock, as the kernel's own locks order these calls, and a blocking `poll` sleeps on a
//! condition variable until a write: a model whose threads all sleep is a lost wake-up, which
//! loom reports as a deadlock.

use std::io;
use std::os::fd::RawFd;

use libc::{c_int, c_short, pollfd};

use crate::sys::sync::{Condvar, Mutex, MutexGuard};

#[derive(Debug, Default)]
struct File {
    /// Bytes (or an eventfd's count) waiting to be read.
    data: u32,
    /// An eventfd's edge that `epoll_wait` has not reported yet.
    edge: bool,
    /// Writes that are still to fail (with EIO).
    fail_writes: u32,
}

#[derive(Debug, Default)]
struct Kernel {
    files: Vec<File>,
}

#[derive(Debug)]
struct Shared {
    kernel: Mutex<Kernel>,
    changed: Condvar,
}

loom::lazy_static! {
    static ref KERNEL: Shared = Shared {
        kernel: Mutex::new(Kernel::default()),
        changed: Condvar::new(),
    };
}

loom::thread_local! {
    /// Every write this thread makes fails (see `with_failing_writes`).
    static FAILING: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// The first fd number handed out (slot 0 of `files`).
const FIRST_FD: RawFd = 100;

fn kernel() -> MutexGuard<'static, Kernel> {
    KERNEL.kernel.lock().unwrap()
}

impl Kernel {
    fn file(&mut self, fd: RawFd) -> &mut File {
        &mut self.files[(fd - FIRST_FD) as usize]
    }
}

/// A new file (a socket, say): not readable.
pub(crate) fn open() -> RawFd {
    let mut k = kernel();
    k.files.push(File::default());
    FIRST_FD + k.files.len() as RawFd - 1
}

/// A peer writes to `fd` (one byte, or adds one to an eventfd), waking sleeping pollers.
/// Fails with EIO if `fail_next_write` said so.
pub(crate) fn write(fd: RawFd) -> io::Result<()> {
    if FAILING.with(std::cell::Cell::get) {
        return Err(io::Error::from_raw_os_error(libc::EIO));
    }
    let mut k = kernel();
    let file = k.file(fd);
    if file.fail_writes > 0 {
        file.fail_writes -= 1;
        return Err(io::Error::from_raw_os_error(libc::EIO));
    }
    file.data += 1;
    file.edge = true;
    drop(k);
    KERNEL.changed.notify_all();
    Ok(())
}

/// Reads everything there is: the number of bytes, or WouldBlock for none.
pub(crate) fn read(fd: RawFd) -> io::Result<u32> {
    match std::mem::take(&mut kernel().file(fd).data) {
        0 => Err(io::ErrorKind::WouldBlock.into()),
        n => Ok(n),
    }
}

/// Makes the next `count` writes to `fd` fail.
pub(crate) fn fail_next_write(fd: RawFd, count: u32) {
    kernel().file(fd).fail_writes = count;
}

/// Runs `f` with every write of this thread failing (with EIO).
pub(crate) fn with_failing_writes<R>(f: impl FnOnce() -> R) -> R {
    FAILING.with(|c| c.set(true));
    let result = f();
    FAILING.with(|c| c.set(false));
    result
}

/// Whether `fd` has an edge `epoll_wait` would report.
pub(crate) fn edge_pending(fd: RawFd) -> bool {
    kernel().file(fd).edge
}

/// `epoll_wait` with a zero timeout on an epoll set that holds only the eventfd `fd`
/// (edge-triggered): whether it reported an edge, which it consumes.
pub(crate) fn epoll_wait_edge(fd: RawFd) -> bool {
    std::mem::take(&mut kernel().file(fd).edge)
}

/// poll(2): fills `revents` and returns how many are non-zero. A negative timeout sleeps
/// until a write makes one ready; a positive one is treated as having already expired.
pub(crate) fn poll(fds: &mut [pollfd], timeout: c_int) -> c_int {
    let mut k = kernel();
    loop {
        let mut n = 0;
        for pfd in fds.iter_mut() {
            pfd.revents = 0;
            if pfd.fd < 0 {
                continue;
            }
            let ready: c_short = if k.file(pfd.fd).data > 0 {
                libc::POLLIN
            } else {
                0
            };
            pfd.revents = ready & pfd.events;
            if pfd.revents != 0 {
                n += 1;
            }
        }
        if n > 0 || timeout >= 0 {
            return n;
        }
        k = KERNEL.changed.wait(k).unwrap();
    }
}

/// `notify.rs`'s notifier, over a file of this kernel.
#[derive(Debug)]
pub(crate) struct Notifier {
    fd: RawFd,
}

impl Notifier {
    pub(crate) fn new() -> io::Result<Notifier> {
        Ok(Notifier { fd: open() })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    pub(crate) fn notify(&self) -> io::Result<()> {
        write(self.fd)
    }

    pub(crate) fn drain(&self) -> io::Result<()> {
        drain_fd(self.fd)
    }
}

/// Empties `fd`.
pub(crate) fn drain_fd(fd: RawFd) -> io::Result<()> {
    kernel().file(fd).data = 0;
    Ok(())
}
