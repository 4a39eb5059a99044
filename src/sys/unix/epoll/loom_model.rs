//! loom models of the epoll Waker's coalescing (see [`Waker`]): every `wake` that returned
//! `Ok` is followed by a wake-up that lets the poller see what the waking thread did before
//! it, in every interleaving loom explores.
//!
//! The code under test is the real one: `Waker::wake` and `reopen_wakers` (what `select` does
//! after every `epoll_wait`), over loom's atomics and fences (`crate::sys::sync`,
//! `atomic64.rs`) and the eventfd of the models' kernel (`loom_kernel.rs`). The poller is a
//! thread that calls `epoll_wait` (the kernel's: it takes the eventfd's pending edge) and
//! `reopen_wakers` a few times, and after each reported edge reads the waking threads' flags,
//! as a `Poll` caller would read a queue. Each waking thread sets its flag (a `Relaxed`
//! store: only the fences publish it) and then calls `wake`.
//!
//! The property, checked once every thread is done: either an edge is still pending (the next
//! `epoll_wait` reports it, and the poller then sees everything), or the poller's reading
//! after the last edge it got saw the flag of every `wake` that returned `Ok`.
//!
//! What loom checks of the `SeqCst` fence argument in [`Waker`]'s documentation: loom keeps
//! one clock that every `fence(SeqCst)` joins, so the fences are totally ordered and a later
//! fence sees all that an earlier one's thread had done. For the atomics the argument reads
//! (the generation, and here the flags), that gives the two consequences the language
//! guarantees and the argument uses: a load after a later fence cannot read a value older
//! than a store made before an earlier fence. loom's fences are stronger than the language's
//! for plain (non-atomic) data, which the language does not order by fences alone, so the
//! flags are atomics: a model that passes here does not rely on that extra strength.
//! Relaxed loads may read any of the last stores loom keeps per atomic (not only the newest),
//! which is how a missing fence shows up: removing either fence, or moving the poller's fence
//! before its increment, fails both models; claiming `armed_at` before the write fails the
//! failed-write model.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::super::reopen_wakers;
use super::{Waker, NEVER};
use crate::sys::sync::check_model;
use crate::sys::sync::{AtomicBool, Mutex};
use crate::sys::unix::atomic64::AtomicU64;
use crate::sys::unix::loom_kernel::{self as kernel, Notifier};
use crate::sys::WakerApi;

/// Poller rounds per model: enough for a wake-up to be consumed between two `wake`s.
const ROUNDS: usize = 2;

/// What the poller read after the last edge it was reported: each waking thread's flag.
type Seen = Mutex<Option<Vec<bool>>>;

struct World {
    waker: Waker,
    generation: Arc<AtomicU64>,
    flags: Vec<AtomicBool>,
    seen: Seen,
}

impl World {
    fn new(wakers: usize) -> Arc<World> {
        let generation = Arc::new(AtomicU64::new(0));
        Arc::new(World {
            waker: Waker {
                notifier: Notifier::new().unwrap(),
                generation: Arc::clone(&generation),
                armed_at: AtomicU64::new(NEVER),
            },
            generation,
            flags: (0..wakers).map(|_| AtomicBool::new(false)).collect(),
            seen: Mutex::new(None),
        })
    }

    /// A waking thread: sets flag `i`, then wakes. Returns whether `wake` said `Ok`.
    fn wake(&self, i: usize) -> bool {
        self.flags[i].store(true, Relaxed);
        self.waker.wake().is_ok()
    }

    /// One `select` of the poller with a zero timeout, and the caller's reading after it.
    fn poll_once(&self) {
        let reported = kernel::epoll_wait_edge(self.waker.notifier.fd());
        reopen_wakers(&self.generation);
        if reported {
            let flags = self.flags.iter().map(|f| f.load(Relaxed)).collect();
            *self.seen.lock().unwrap() = Some(flags);
        }
    }

    /// The property, once every thread is done; `ok[i]`: thread `i`'s `wake` returned `Ok`.
    fn check(&self, ok: &[bool]) {
        if kernel::edge_pending(self.waker.notifier.fd()) {
            return;
        }
        let seen = self.seen.lock().unwrap().clone();
        for (i, &ok) in ok.iter().enumerate() {
            let saw = seen.as_ref().is_some_and(|s| s[i]);
            assert!(
                !ok || saw,
                "lost wake-up: wake {i} returned Ok, no edge is pending and the poller's last \
                 reading ({seen:?}) missed its flag"
            );
        }
    }
}

/// Runs `wakers` waking threads (thread `i` first makes its next `fail[i]` writes fail) and
/// the poller, then checks the property.
fn run(wakers: usize, fail: &'static [u32]) {
    let world = World::new(wakers);
    let fd = world.waker.notifier.fd();
    let threads: Vec<_> = (0..wakers)
        .map(|i| {
            let world = Arc::clone(&world);
            loom::thread::spawn(move || {
                if fail.get(i).copied().unwrap_or(0) > 0 {
                    kernel::fail_next_write(fd, fail[i]);
                }
                world.wake(i)
            })
        })
        .collect();
    let poller = {
        let world = Arc::clone(&world);
        loom::thread::spawn(move || {
            for _ in 0..ROUNDS {
                world.poll_once();
            }
        })
    };
    let ok: Vec<bool> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    poller.join().unwrap();
    world.check(&ok);
}

/// Two waking threads and the poller: the second `wake` of a generation skips its write
/// while the first one's edge is pending, or is consumed, in any order.
#[test]
fn loom_epoll_waker_two_wakers_and_the_poller() {
    check_model("epoll waker: 2 wakers + poller", 4, || run(2, &[]));
}

/// The first waking thread's write fails: a `wake` of the same generation that returned
/// `Ok` must not have counted on it (`armed_at` is stored only after a write succeeded).
#[test]
fn loom_epoll_waker_failed_write() {
    check_model("epoll waker: failed write + waker + poller", 4, || {
        run(2, &[1])
    });
}
