//! loom models of the poll(2) backend's cross-thread protocol: a modifier (register, re-arm,
//! a Waker) gets the table's lock from a poller blocked in poll(2) through `wake_and_lock`
//! (or gives up through `withdraw`), and a re-arm that is known to be armed still is skipped
//! without the lock, by the epoch record in `Registration::armed`.
//!
//! The code under test is the real one: `Selector::select`, `IoSourceState::{register,
//! do_io}` (with `Registration::rearm`) and the poll(2) Waker, over loom's mutex, condition
//! variable and atomics (`crate::sys::sync`, `atomic64.rs`), with poll(2) and the notifier's
//! eventfd taken from the models' kernel (`loom_kernel.rs`). Every `select` here has no
//! timeout, so a lost wake-up leaves the poller asleep in poll(2) for good and the other
//! threads waiting on it: loom reports that as a deadlock.
//!
//! Each of these breakages of the protocol fails a model (checked when the models were
//! written): `enter_poll` not checking `waiting` again after setting `polling`;
//! `wake_and_lock` never writing the notifier; the re-arm skip ignoring the epoch; the poller
//! not advancing the epoch when it disarms; `withdraw` not signalling a parked poller, or
//! giving up whenever the lock is busy (that one needs a preemption bound of 3).

use std::io;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;

use super::{Event, IoSourceState, Selector, Shared, Waker};
use crate::sys::sync::{check_model, Condvar, Mutex};
use crate::sys::unix::loom_kernel as kernel;
use crate::sys::{EventApi, IoSourceApi, SelectorApi, WakerApi, Watch};
use crate::{Interest, Token};

/// A selector whose protocol atomics hold their initial values as `SeqCst` stores.
///
/// loom records an atomic's initial value as a `Release` store, and lets a `SeqCst` load
/// read a store that is not `SeqCst` even when a newer `SeqCst` store exists. So the
/// Dekker-style handshake on `polling` and `waiting` (each side stores one, then loads the
/// other, all `SeqCst`) could read the initial `false` after the poller's `true`, which C++
/// (and Rust) forbid: the initialisation happens before that store. Storing the initial
/// values again with `SeqCst` before any other thread exists gives every load only `SeqCst`
/// stores to choose from, and loom then picks the latest one, as the language requires.
fn selector() -> Arc<Selector> {
    let selector = Selector::new().unwrap();
    let shared = &selector.shared;
    shared.polling.store(false, SeqCst);
    shared.waiting.store(0, SeqCst);
    shared.poller.seqcst_init();
    Arc::new(selector)
}

const A: Token = Token(1);
const B: Token = Token(2);
const WAKER: Token = Token(3);

fn readable(token: Token) -> Watch {
    Watch {
        token,
        interests: Interest::READABLE,
    }
}

/// `do_io` with a read of the kernel's `fd`: what `TcpStream::read` does.
fn read(source: &IoSourceState, fd: i32) -> io::Result<u32> {
    source.do_io(fd, Interest::READABLE, || kernel::read(fd))
}

/// A thread that opens socket A with data already waiting and registers it readable; it
/// returns A's source state so that A stays registered.
fn spawn_registrar(selector: &Arc<Selector>) -> loom::thread::JoinHandle<IoSourceState> {
    let selector = Arc::clone(selector);
    loom::thread::spawn(move || {
        let a = kernel::open();
        kernel::write(a).unwrap();
        let mut source_a = IoSourceState::new();
        source_a.register(&selector, a, readable(A)).unwrap();
        source_a
    })
}

/// Polls (no timeout) until every token of `wanted` was reported.
fn poll_until(selector: &Selector, mut wanted: Vec<Token>) {
    let mut events: Vec<Event> = Vec::with_capacity(4);
    while !wanted.is_empty() {
        selector.select(&mut events, None).unwrap();
        wanted.retain(|t| events.iter().all(|e| e.token() != *t));
    }
}

/// Registering thread + re-arming thread + poller. The poller is (or is about to be) asleep
/// in poll(2) with the table's lock held; one thread registers a readable socket A, another
/// re-arms a socket B that the poller disarmed when it reported it, after its read found
/// nothing, and then data arrives on B. Both changes must reach the sleeping poller: it must
/// report A and B.
#[test]
fn loom_poll_register_and_rearm_wake_the_poller() {
    check_model("poll(2): register + re-arm + poller", 3, || {
        let selector = selector();
        let b = kernel::open();
        let mut source_b = IoSourceState::new();
        source_b.register(&selector, b, readable(B)).unwrap();
        // B is reported once and so disarmed, and its reader drains it.
        kernel::write(b).unwrap();
        poll_until(&selector, vec![B]);
        assert_eq!(read(&source_b, b).unwrap(), 1);

        let registrar = spawn_registrar(&selector);
        let rearmer = loom::thread::spawn(move || {
            // Nothing to read: `do_io` re-arms B (the poller's epoch moved since B's record).
            assert_eq!(
                read(&source_b, b).unwrap_err().kind(),
                io::ErrorKind::WouldBlock
            );
            kernel::write(b).unwrap();
            source_b
        });
        poll_until(&selector, vec![A, B]);
        // The sources are dropped (deregistered) once the poller is done.
        drop((registrar.join().unwrap(), rearmer.join().unwrap()));
    });
}

/// What the event loop hands the reading thread: B was reported.
struct Dispatch {
    ready: Mutex<bool>,
    signal: Condvar,
}

/// Event loop + reading thread + writing thread, with a Waker to end the loop. The reader
/// waits for B's events; after each one it reads until `WouldBlock` (which re-arms B, or
/// skips the re-arm when B's record says it is armed still), and once more (a second
/// `WouldBlock` in a row, whose re-arm is the lock-free skip unless the poller disarmed B in
/// between). The writer sends B a second byte at any moment. The reader must get both bytes,
/// then wakes the loop, which ends.
#[test]
fn loom_poll_rearm_skip_against_a_concurrent_disarm() {
    check_model("poll(2): event loop + reader + writer", 3, || {
        let selector = selector();
        let waker = Waker::new(&selector, WAKER).unwrap();
        let b = kernel::open();
        let mut source_b = IoSourceState::new();
        source_b.register(&selector, b, readable(B)).unwrap();
        kernel::write(b).unwrap();
        let dispatch = Arc::new(Dispatch {
            ready: Mutex::new(false),
            signal: Condvar::new(),
        });

        let writer = loom::thread::spawn(move || kernel::write(b).unwrap());
        let reader = {
            let dispatch = Arc::clone(&dispatch);
            loom::thread::spawn(move || {
                let mut got = 0;
                while got < 2 {
                    let mut ready = dispatch.ready.lock().unwrap();
                    while !*ready {
                        ready = dispatch.signal.wait(ready).unwrap();
                    }
                    *ready = false;
                    drop(ready);
                    for _ in 0..2 {
                        while let Ok(n) = read(&source_b, b) {
                            got += n;
                        }
                    }
                }
                waker.wake().unwrap();
                (source_b, waker)
            })
        };
        let mut events: Vec<Event> = Vec::with_capacity(4);
        'event_loop: loop {
            selector.select(&mut events, None).unwrap();
            for event in &events {
                if event.token() == WAKER {
                    break 'event_loop;
                }
                assert_eq!(event.token(), B);
                *dispatch.ready.lock().unwrap() = true;
                dispatch.signal.notify_one();
            }
        }
        writer.join().unwrap();
        drop(reader.join().unwrap());
    });
}

/// A modifier that cannot wake the poller (its notifier write fails) withdraws without the
/// lock, while another modifier waits for it: the poller, parked until both are gone, must
/// not be left parked, and the second modifier's registration must be reported.
#[test]
fn loom_poll_withdraw_after_a_failed_wake() {
    check_model("poll(2): failed wake + register + poller", 3, || {
        let selector = selector();
        let shared: Arc<Shared> = Arc::clone(&selector.shared);

        let failing = {
            let shared = Arc::clone(&shared);
            loom::thread::spawn(move || {
                // Fails only if the poller was seen in poll(2) (its notifier's write fails);
                // then nothing was changed and the modifier withdrew.
                let result = kernel::with_failing_writes(|| shared.wake_and_lock(|_| ()));
                if let Err(e) = result {
                    assert_eq!(e.raw_os_error(), Some(libc::EIO));
                }
            })
        };
        let registrar = spawn_registrar(&selector);
        poll_until(&selector, vec![A]);
        failing.join().unwrap();
        drop(registrar.join().unwrap());
    });
}
