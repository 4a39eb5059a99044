//! The epoll Waker: an eventfd of its own, registered edge-triggered under the caller's token,
//! that writes only when no wake-up is already pending (see [`Waker`]).

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::Selector;
use crate::sys::sync::fence;
use crate::sys::unix::atomic64::AtomicU64;
// The seam of the loom model (`loom_model.rs`): its kernel's eventfd under `--cfg loom`.
#[cfg(all(loom, test))]
use crate::sys::unix::loom_kernel::Notifier;
#[cfg(not(all(loom, test)))]
use crate::sys::unix::notify::Notifier;
use crate::sys::{SelectorApi, WakerApi};
use crate::{Interest, Token};

/// A Waker is its own eventfd, registered edge-triggered under the caller's token. Every write
/// to an eventfd is a new edge for epoll, so the poller never has to read the counter.
///
/// # Coalescing
///
/// A `wake` skips the write when another one already wrote successfully since the poller last
/// returned from `epoll_wait`. The state is two counters and no lock:
///
/// * `generation` (shared with the selector): `select` adds one after every `epoll_wait`
///   return, then issues a `SeqCst` fence, before handing the events to its caller;
/// * `armed_at` (this Waker's): a generation in which a write succeeded, or `NEVER`.
///
/// `wake` issues a `SeqCst` fence, loads the generation `g`, and returns at once if
/// `armed_at == g`; otherwise it writes the eventfd and, once the write has succeeded, stores
/// `g` into `armed_at`. The token plays no part, so tokens may repeat and any number of Wakers
/// may share a poller.
///
/// `armed_at` is published only *after* the write: were it claimed before (swapping `g` in
/// and writing unless the swap returned `g`), a `wake` that saw
/// the claim would return `Ok` while the claiming write could still fail, and that `Ok` would
/// be followed by no wake-up. The price is that the `wake`s that arrive while the first write
/// of a generation is in flight write too: at most one write per waking thread per
/// generation, still never more than one per call.
///
/// Why a skipped write never loses a wake-up. Take a `wake` W that loaded `g` and found
/// `armed_at == g`. Every store to `armed_at` writes the generation its `wake` loaded, after
/// that `wake`'s write succeeded, so the store W read was made by a `wake` Wk that loaded `g`
/// and then wrote the eventfd. That write is an edge that stays pending until some
/// `epoll_wait` E reports it, and E returns after the write, so after Wk loaded `g`; the
/// increment that `select` does after E therefore stores at least `g + 1`. W read `g`, a value
/// older than that increment, after its fence; had the fence that follows the increment come
/// first in the single total order of `SeqCst` fences, W's load would have had to see the
/// increment. So W's fence precedes E's fence, and everything W's caller did before `wake`
/// (pushing to a queue, setting a flag) is visible to the poller's caller once the `poll` that
/// ran E returns, with Wk's event in it (or in a later `poll`, if the buffer was full). Both
/// fences are needed: without them a store buffer could let W read the old generation while
/// the poller, already past E, misses the caller's data.
///
/// A write that fails stores nothing and returns its error: no other `wake` relied on it.
///
/// illumos's epoll (`ferrio_wake_from_empty`) reports an edge only when the notifier goes from
/// empty to readable, so there `write` empties the notifier before writing: every write
/// still leaves an edge pending, which is all the argument above uses.
#[derive(Debug)]
pub(crate) struct Waker {
    notifier: Notifier,
    generation: Arc<AtomicU64>,
    armed_at: AtomicU64,
}

/// An `armed_at` that no generation equals (the counter starts at 0 and would need centuries of
/// polling to get here).
const NEVER: u64 = u64::MAX;

impl WakerApi for Waker {
    type Selector = Selector;

    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let notifier = Notifier::new()?;
        selector.register(notifier.fd(), token, Interest::READABLE)?;
        Ok(Waker {
            notifier,
            generation: Arc::clone(&selector.generation),
            armed_at: AtomicU64::new(NEVER),
        })
    }

    fn wake(&self) -> io::Result<()> {
        fence(Ordering::SeqCst);
        let generation = self.generation.load(Ordering::Relaxed);
        // A plain load: while a wake-up is pending, waking threads only read the shared cache
        // lines instead of bouncing `armed_at` between them.
        if self.armed_at.load(Ordering::Relaxed) == generation {
            return Ok(());
        }
        self.write(generation)
    }
}

impl Waker {
    /// The system call, out of line so that the skip path above stays a few instructions.
    #[cold]
    #[inline(never)]
    fn write(&self, generation: u64) -> io::Result<()> {
        // Where the epoll emulation signals an edge only when the notifier goes from empty to
        // readable (`ferrio_wake_from_empty`: illumos), empty it first, so that this write is
        // such an edge. A concurrent `wake` that empties it in between writes after that,
        // so the last write of any overlap still leaves an edge behind.
        #[cfg(ferrio_wake_from_empty)]
        self.notifier.drain()?;
        self.notifier.notify()?;
        // Only now may other `wake`s of this generation count on a pending wake-up. (A store
        // of an older generation over a newer one only costs a later `wake` its write.)
        self.armed_at.store(generation, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(all(test, loom))]
#[path = "loom_model.rs"]
mod loom_model;

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::Duration;

    use super::{Selector, Waker};
    use crate::sys::failpoints::Plan;
    use crate::sys::{EventApi, SelectorApi, WakerApi};
    use crate::Token;

    /// Two wakes in one generation, the first of which fails to write: the second must not
    /// count on the first one's write. Thread A's write is replaced by a failure that lets
    /// thread B wake while A is in the middle of it, and returns only once B's `wake` has.
    #[test]
    fn a_failed_write_does_not_swallow_a_concurrent_wake() {
        let selector = Selector::new().unwrap();
        let waker = Arc::new(Waker::new(&selector, Token(7)).unwrap());
        let a_writing = Arc::new(Barrier::new(2));
        let b_done = Arc::new(Barrier::new(2));
        let (writing, done) = (Arc::clone(&a_writing), Arc::clone(&b_done));
        // Thread A's write is replaced by a failure that lets thread B wake meanwhile.
        Plan::new("notify_write", libc::EIO)
            .any_thread_for(waker.notifier.fd() as usize)
            .with(move || {
                writing.wait();
                done.wait();
                io::Error::from_raw_os_error(libc::EIO)
            })
            .arm();

        let a = {
            let waker = Arc::clone(&waker);
            thread::spawn(move || waker.wake())
        };
        a_writing.wait();
        let b = waker.wake();
        b_done.wait();
        let a = a.join().unwrap();

        assert_eq!(a.unwrap_err().raw_os_error(), Some(libc::EIO));
        b.unwrap();
        // B was told its wake succeeded: a wake-up must be pending.
        let mut events = Vec::with_capacity(8);
        selector
            .select(&mut events, Some(Duration::from_secs(2)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == Token(7)),
            "B's successful wake() was lost: {} events",
            events.len()
        );
    }
}
