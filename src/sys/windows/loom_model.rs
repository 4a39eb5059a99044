//! loom models of the Windows selector's state and queue protocol (`sock_state.rs`), run on
//! Linux: the per-socket AFD request state machine and the update queue, with the AFD driver
//! and the completion port replaced by a fake [`Driver`] over loom's types.
//!
//! The code under test is the real one: `SockState::{update, complete, mark_deleted}` and
//! `Queue::{queue_state, update_queued, after_change, rearm, completed, report_errors}`. The
//! poller is a thread that does what `Selector::select` does around them (mark itself
//! polling, update the queue, report failed submissions, dequeue, unmark, feed the packets to
//! `Queue::completed`), but dequeues without blocking, a bounded number of times; once every
//! thread is done, the model drains the port as `Inner::drop` does.
//!
//! What the fake checks on every step: a request's buffers are written by the driver only
//! while the request is in flight, and are never freed while it is (use after free); a
//! request is never submitted twice on the same buffers; loom's `Arc` finds any state that is
//! leaked or freed twice (the reference a request carries as its context); and the helper
//! handle of a deleted state is given back exactly once.
//!
//! Each of these breakages fails a model (checked when the models were written):
//! `mark_deleted` not cancelling the request in flight; a deleted state giving its helper
//! back while its request is in flight; `update` submitting again while a request is pending;
//! `rearm` not queueing the state; a pending request that misses a re-armed bit not being
//! cancelled; `completed` not queueing a state that has bits still armed; a request that
//! carries no reference of its own to its state.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::io;
use std::sync::atomic::{AtomicUsize as Counter, Ordering::Relaxed, Ordering::SeqCst};

use loom::cell::UnsafeCell;

use crate::sys::sync::{check_model, Arc, AtomicBool, Mutex};
use crate::sys::windows_sock_state::{lock, Driver, Outcome, Queue, SockState, StateRef, Status};
use crate::Token;

const READABLE: u32 = 0x1;
const WRITABLE: u32 = 0x4;
const TOKEN: Token = Token(7);
/// The fake's context of an internal wake-up packet (`wake_sentinel`).
const WAKE: usize = 1;

/// A request in the fake driver.
struct Request {
    io: *const FakeIo,
    io_id: usize,
    socket: u64,
    events: u32,
    context: usize,
}

#[derive(Default)]
struct KernelState {
    requests: Vec<Request>,
    /// The completion port: the contexts of finished requests, and wake-ups.
    port: VecDeque<usize>,
    /// What each socket (its number is the index) is ready for, and how many times it
    /// became so (the sequence number of its last readiness).
    ready: Vec<(u32, usize)>,
    /// Per buffer (by id): freed.
    freed: Vec<bool>,
}

// SAFETY: the raw pointers are used under the kernel's lock, each only while its buffer is
// known to be alive (checked against `freed`).
unsafe impl Send for KernelState {}

loom::lazy_static! {
    static ref KERNEL: Mutex<KernelState> = Mutex::new(KernelState::default());
}

/// The buffers of one request: what the driver writes at completion, with the readiness
/// sequence number that caused it.
struct FakeIo {
    id: usize,
    result: UnsafeCell<(Outcome, usize)>,
}

impl Drop for FakeIo {
    fn drop(&mut self) {
        let mut k = lock(&KERNEL);
        assert!(
            k.requests.iter().all(|r| r.io_id != self.id),
            "use after free: a request's buffers were freed while it was in flight"
        );
        k.freed[self.id] = true;
    }
}

/// Completes request `i`: writes its result into its buffers and posts its packet.
fn finish(k: &mut KernelState, i: usize, outcome: Outcome) {
    let r = k.requests.remove(i);
    assert!(
        !k.freed[r.io_id],
        "use after free: the driver writes freed buffers"
    );
    let seq = k.ready[r.socket as usize].1;
    // SAFETY: the buffers are alive (checked above) and boxed in their state, which the
    // request's context keeps alive; loom checks that nobody else touches them now.
    unsafe { &*r.io }.result.with_mut(|p| {
        // SAFETY: loom's cell hands out the pointer only while no one else uses it.
        unsafe { *p = (outcome, seq) }
    });
    k.port.push_back(r.context);
}

/// The socket becomes ready for `bits`: the requests that ask for them finish.
fn set_ready(socket: u64, bits: u32) {
    let mut k = lock(&KERNEL);
    let ready = &mut k.ready[socket as usize];
    ready.0 |= bits;
    ready.1 += 1;
    while let Some(i) = k
        .requests
        .iter()
        .position(|r| r.socket == socket && r.events & bits != 0)
    {
        let events = k.requests[i].events & bits;
        finish(&mut k, i, Outcome::Events(events));
    }
}

/// A read: takes the socket's readable readiness, or says it would block.
fn read(socket: u64) -> io::Result<()> {
    let mut k = lock(&KERNEL);
    let ready = &mut k.ready[socket as usize];
    if ready.0 & READABLE == 0 {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    ready.0 &= !READABLE;
    Ok(())
}

fn new_socket() -> u64 {
    let mut k = lock(&KERNEL);
    k.ready.push((0, 0));
    k.ready.len() as u64 - 1
}

/// The fake AFD helper handle.
#[derive(Default)]
struct FakeAfd {
    in_flight: Counter,
    /// How many times a state gave this handle back.
    released: Counter,
}

// SAFETY: `FakeIo` holds no raw pointer.
unsafe impl Driver for FakeAfd {
    type Io = FakeIo;
    const KNOWN_EVENTS: u32 = READABLE | WRITABLE;

    fn new_io() -> Box<FakeIo> {
        let mut k = lock(&KERNEL);
        k.freed.push(false);
        Box::new(FakeIo {
            id: k.freed.len() - 1,
            result: UnsafeCell::new((Outcome::Events(0), 0)),
        })
    }

    unsafe fn submit(
        &self,
        io: &FakeIo,
        socket: u64,
        events: u32,
        context: *const c_void,
    ) -> io::Result<()> {
        let mut k = lock(&KERNEL);
        assert!(
            k.requests.iter().all(|r| r.io_id != io.id),
            "a request was submitted on buffers already in flight"
        );
        k.requests.push(Request {
            io,
            io_id: io.id,
            socket,
            events,
            context: context as usize,
        });
        // A socket that is ready already completes the request at once.
        let ready = k.ready[socket as usize].0 & events;
        if ready != 0 {
            let i = k.requests.len() - 1;
            finish(&mut k, i, Outcome::Events(ready));
        }
        Ok(())
    }

    unsafe fn cancel(&self, io: &FakeIo) -> io::Result<()> {
        let mut k = lock(&KERNEL);
        // Not found: it finished already and its packet is on its way, as on Windows.
        if let Some(i) = k.requests.iter().position(|r| r.io_id == io.id) {
            finish(&mut k, i, Outcome::Events(0));
        }
        Ok(())
    }

    unsafe fn outcome(io: &FakeIo) -> Outcome {
        // SAFETY: the packet was dequeued: the driver is done with the buffers.
        io.result.with(|p| unsafe { *p }).0
    }

    fn in_flight(&self) -> &Counter {
        &self.in_flight
    }

    fn socket_gone(_: &io::Error) -> bool {
        false
    }
}

/// The selector's part in the model: the queue, and the one helper handle.
struct World {
    queue: Queue<FakeAfd>,
    afd: Arc<FakeAfd>,
    /// Events reported: token, bits, and the readiness sequence number that caused them.
    events: Mutex<Vec<(Token, u32, usize)>>,
}

impl World {
    fn new() -> Arc<World> {
        let world = World {
            queue: Queue::new(),
            afd: Arc::new(FakeAfd::default()),
            events: Mutex::new(Vec::new()),
        };
        // See `poll/loom_model.rs`: loom lets a `SeqCst` load read an initial value that a
        // later `SeqCst` store replaced; storing it again with `SeqCst` rules that out.
        world.queue.polling.store(false, SeqCst);
        Arc::new(world)
    }

    fn release(&self) -> impl Fn(Arc<FakeAfd>) + '_ {
        |afd: Arc<FakeAfd>| {
            afd.released.fetch_add(1, Relaxed);
        }
    }

    fn wake(&self) {
        lock(&KERNEL).port.push_back(WAKE);
    }

    /// A registration of `socket`, queued as `register` queues it.
    fn register(&self, socket: u64, flags: u32) -> StateRef<FakeAfd> {
        let state = Arc::new(Mutex::new(SockState::new(
            Arc::clone(&self.afd),
            socket,
            TOKEN,
            flags,
        )));
        self.queue.queue_state(&state, &mut lock(&state));
        self.queue.after_change(self.release(), || self.wake());
        state
    }

    /// One `select` with a zero timeout: returns whether a packet was dequeued.
    fn poll_once(&self) -> bool {
        self.queue.polling.store(true, SeqCst);
        self.queue.update_queued(self.release());
        let mut failed = Vec::with_capacity(4);
        self.queue.report_errors(&mut failed, |t| t);
        assert!(failed.is_empty(), "the fake never fails a submission");
        let packet = lock(&KERNEL).port.pop_front();
        self.queue.polling.store(false, SeqCst);
        let Some(context) = packet else {
            return false;
        };
        if context != WAKE {
            // SAFETY: the contexts of the fake's packets are the references
            // `SockState::update` made with `Arc::into_raw`, each dequeued once.
            let state = unsafe { Arc::from_raw(context as *const Mutex<SockState<FakeAfd>>) };
            let seq = state.lock().unwrap().io.result.with(|p| {
                // SAFETY: the packet was dequeued: the driver is done with the buffers.
                unsafe { (*p).1 }
            });
            if let Some((token, bits)) = self.queue.completed(state, self.release()) {
                lock(&self.events).push((token, bits, seq));
            }
        }
        true
    }

    /// Polls until the port is empty.
    fn drain(&self) {
        while self.poll_once() {}
    }
}

/// Deregistration while a poll is in flight: the poller updates the queue (submitting the
/// socket's request) and dequeues; another thread deregisters the socket (`mark_deleted`
/// cancels the request in flight); the socket becomes readable at any moment. No poll that
/// starts after the deregistration returned may report the token; the request's buffers
/// outlive it; the state is freed exactly once and its helper handle given back exactly once.
#[test]
fn loom_windows_deregister_while_a_poll_is_in_flight() {
    check_model("windows: poller + deregister + readiness", 5, || {
        let world = World::new();
        let socket = new_socket();
        let state = world.register(socket, READABLE | WRITABLE);
        let deregistered = Arc::new(AtomicBool::new(false));
        let poller = {
            let (world, deregistered) = (Arc::clone(&world), Arc::clone(&deregistered));
            loom::thread::spawn(move || {
                for _ in 0..2 {
                    let after = deregistered.load(SeqCst);
                    let before = lock(&world.events).len();
                    world.poll_once();
                    if after {
                        assert_eq!(
                            lock(&world.events).len(),
                            before,
                            "a poll that started after deregister returned reported the token"
                        );
                    }
                }
            })
        };
        let deregistering = {
            let (world, deregistered) = (Arc::clone(&world), Arc::clone(&deregistered));
            loom::thread::spawn(move || {
                let afd = lock(&state).mark_deleted();
                if let Some(afd) = afd {
                    world.release()(afd);
                }
                deregistered.store(true, SeqCst);
            })
        };
        set_ready(socket, READABLE);
        poller.join().unwrap();
        deregistering.join().unwrap();
        let before = lock(&world.events).len();
        world.drain();
        assert_eq!(
            lock(&world.events).len(),
            before,
            "reported after deregister"
        );
        assert_eq!(world.afd.in_flight.load(Relaxed), 0);
        assert_eq!(
            world.afd.released.load(Relaxed),
            1,
            "helper given back once"
        );
    });
}

/// Re-arming from another thread while the poller polls: the reader reads until
/// `WouldBlock`, which re-arms the socket's READABLE (cancelling and resubmitting the request
/// in flight if it watches WRITABLE alone) (`Queue::rearm`, whose `after_change` may update
/// the queue from the reader's thread while the poller updates it too), and a writer makes
/// the socket readable again at any moment. Once all is quiet, readiness that nobody read
/// must have been reported by an event that came after it, unless an event came after the
/// reader's last read began (which sends a `Poll` user back to reading). Then WRITABLE, which
/// was never reported, so is still armed (kept watching by the requeue in
/// `Queue::completed`), must be reported once the socket becomes writable.
#[test]
fn loom_windows_rearm_while_polling() {
    check_model("windows: poller + re-arm + readiness", 5, || {
        let world = World::new();
        let socket = new_socket();
        set_ready(socket, READABLE);
        // Writable too: after the first event the state watches WRITABLE alone, so the
        // re-arm of READABLE finds a request in flight that misses it, and cancels it.
        let state = world.register(socket, READABLE | WRITABLE);
        let poller = {
            let world = Arc::clone(&world);
            loom::thread::spawn(move || {
                for _ in 0..2 {
                    world.poll_once();
                }
            })
        };
        let reader = {
            let world = Arc::clone(&world);
            loom::thread::spawn(move || {
                // How many events were reported before the read that found nothing.
                let mut told = lock(&world.events).len();
                while read(socket).is_ok() {
                    told = lock(&world.events).len();
                }
                world
                    .queue
                    .rearm(&state, READABLE, world.release(), || world.wake());
                (state, told)
            })
        };
        set_ready(socket, READABLE);
        poller.join().unwrap();
        let (state, told) = reader.join().unwrap();
        world.drain();
        let (ready, seq) = lock(&KERNEL).ready[socket as usize];
        let events = lock(&world.events);
        // An event reported after the reader's last read began tells it to read again (as
        // `Poll` users do after every event), which would find the readiness: the protocol
        // owes it no other event.
        if ready & READABLE != 0 && events.len() == told {
            assert!(
                events
                    .iter()
                    .any(|&(_, bits, s)| bits & READABLE != 0 && s == seq),
                "lost event: the socket is readable (readiness {seq}) and armed, but no \
                 event reported it: {:?}",
                events.iter().map(|e| e.2).collect::<Vec<_>>()
            );
        }
        drop(events);
        // WRITABLE was registered and never reported, so it is still watched.
        set_ready(socket, WRITABLE);
        world.drain();
        assert!(
            lock(&world.events).iter().any(|e| e.1 & WRITABLE != 0),
            "lost event: the socket became writable, but no event reported it"
        );
        // Deregistered (dropped) at the end; its request, if any, is cancelled and drained.
        if let Some(afd) = lock(&state).mark_deleted() {
            world.release()(afd);
        }
        world.drain();
        assert_eq!(world.afd.in_flight.load(Relaxed), 0);
        assert_eq!(lock(&state).status, Status::Idle);
    });
}
