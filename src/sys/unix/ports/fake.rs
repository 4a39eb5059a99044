//! An event port emulated in the process over poll(2), for the unit tests of the selector and
//! the Waker on systems without event ports (see `kernel.rs`). It keeps the semantics they
//! rely on: an association is one-shot (dropped when its event is fetched), associating an
//! associated fd replaces its association, `port_dissociate` of an fd not associated is
//! ENOENT, `port_getn` with nothing before its timeout fails with ETIME and a count of 0,
//! and user events carry what `port_send` was given. It does not drop the association of an
//! fd that is closed (the kernel does), which the tests do not need.

use std::collections::VecDeque;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use libc::{c_int, c_uint};

use super::table::{Event, PORT_SOURCE_FD, PORT_SOURCE_USER};
use crate::sys::unix::edge::{PollBits, FATAL};

#[derive(Debug, Default)]
struct State {
    /// (fd, events, user)
    fds: Vec<(RawFd, c_int, usize)>,
    /// (events, user)
    user: VecDeque<(c_int, usize)>,
}

#[derive(Debug)]
struct Port {
    state: Mutex<State>,
    /// Made readable by every change, so that a `getn` waiting in poll(2) looks again.
    wake_r: OwnedFd,
    wake_w: OwnedFd,
}

/// The error of a `getn` that timed out: Solaris's ETIME (not every libc names one).
pub(crate) const ETIME: c_int = 62;

/// The emulated ports, by the fd `create` returned.
static PORTS: Mutex<Vec<(RawFd, Arc<Port>)>> = Mutex::new(Vec::new());

fn err(errno: c_int) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

fn port(fd: RawFd) -> io::Result<Arc<Port>> {
    let ports = PORTS.lock().unwrap_or_else(PoisonError::into_inner);
    let found = ports.iter().find(|(p, _)| *p == fd);
    found
        .map(|(_, p)| Arc::clone(p))
        .ok_or_else(|| err(libc::EBADF))
}

impl Port {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn poke(&self) {
        // SAFETY: a live one-byte buffer; the pipe is non-blocking, and a full pipe is
        // readable already, which is all a poke is for.
        unsafe { libc::write(self.wake_w.as_raw_fd(), b"x".as_ptr().cast(), 1) };
    }
}

pub(crate) fn create() -> io::Result<OwnedFd> {
    let (wake_r, wake_w) = crate::sys::unix::pipe::new_raw()?;
    // The port's own fd, which the caller owns and closes: a duplicate of the wake pipe's end.
    let fd = wake_r.try_clone()?;
    let port = Arc::new(Port {
        state: Mutex::default(),
        wake_r,
        wake_w,
    });
    let mut ports = PORTS.lock().unwrap_or_else(PoisonError::into_inner);
    // A number reused after an earlier port's fd was closed names the new port.
    ports.retain(|(p, _)| *p != fd.as_raw_fd());
    ports.push((fd.as_raw_fd(), port));
    Ok(fd)
}

pub(crate) fn associate(port_fd: RawFd, fd: RawFd, events: c_int, user: usize) -> io::Result<()> {
    let port = port(port_fd)?;
    // SAFETY: F_GETFD takes no argument; it only tells whether `fd` is open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(err(libc::EBADF));
    }
    let mut state = port.state();
    state.fds.retain(|&(f, _, _)| f != fd);
    state.fds.push((fd, events, user));
    drop(state);
    port.poke();
    Ok(())
}

pub(crate) fn dissociate(port_fd: RawFd, fd: RawFd) -> io::Result<()> {
    let port = port(port_fd)?;
    let mut state = port.state();
    let before = state.fds.len();
    state.fds.retain(|&(f, _, _)| f != fd);
    if state.fds.len() == before {
        return Err(err(libc::ENOENT));
    }
    Ok(())
}

pub(crate) fn send(port_fd: RawFd, events: c_int, user: usize) -> io::Result<()> {
    let port = port(port_fd)?;
    port.state().user.push_back((events, user));
    port.poke();
    Ok(())
}

pub(crate) fn getn(
    port_fd: RawFd,
    buf: &mut [MaybeUninit<Event>],
    nget: &mut c_uint,
    timeout: Option<&mut libc::timespec>,
) -> io::Result<()> {
    let port = port(port_fd)?;
    let deadline =
        timeout.map(|ts| Instant::now() + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
    let max = buf.len();
    loop {
        let mut out = Vec::new();
        let mut pfds = Vec::new();
        {
            let mut state = port.state();
            while out.len() < max {
                let Some((events, user)) = state.user.pop_front() else {
                    break;
                };
                out.push(Event::raw(PORT_SOURCE_USER, events as PollBits, 0, user));
            }
            for &(fd, events, _) in &state.fds {
                pfds.push(libc::pollfd {
                    fd,
                    events: events as PollBits,
                    revents: 0,
                });
            }
        }
        if out.is_empty() {
            pfds.push(libc::pollfd {
                fd: port.wake_r.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
            let ms = deadline.map_or(-1, |d| {
                let left = d.saturating_duration_since(Instant::now());
                c_int::try_from(left.as_millis()).unwrap_or(c_int::MAX)
            });
            // SAFETY: a live array of `pfds.len()` pollfds.
            unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
            let _ = crate::sys::unix::notify::drain_fd(port.wake_r.as_raw_fd());
            let mut state = port.state();
            for p in &pfds[..pfds.len() - 1] {
                if out.len() >= max {
                    break;
                }
                let Some(i) = state.fds.iter().position(|&(f, _, _)| f == p.fd) else {
                    continue;
                };
                let (fd, events, user) = state.fds[i];
                if p.revents & (events as PollBits | FATAL) == 0 {
                    continue;
                }
                // One-shot: fetched, so dissociated.
                state.fds.remove(i);
                out.push(Event::raw(PORT_SOURCE_FD, p.revents, fd as usize, user));
            }
        }
        if !out.is_empty() {
            for (slot, event) in buf.iter_mut().zip(&out) {
                slot.write(*event);
            }
            *nget = out.len() as c_uint;
            return Ok(());
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            *nget = 0;
            return Err(err(ETIME));
        }
    }
}
