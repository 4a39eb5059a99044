//! The core workloads (Poll, Waker, registration), written once against `super::lib`, which is
//! `ferrio` in `on_ferrio` and `mio` in `on_mio`.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use super::lib;
use crate::harness::{
    eventfds, timed_out, Params, CHURN_FDS, IDLE_SOURCES, TIMEOUT, WAKING_THREADS,
};
use crate::meter::{Sample, ThreadMeter, ThreadStats};
use lib::unix::SourceFd;
use lib::{Events, Interest, Poll, Token, Waker};

/// One poll that must report something within [`TIMEOUT`]; retried on EINTR.
fn poll_some(poll: &mut Poll, events: &mut Events) -> io::Result<()> {
    loop {
        match poll.poll(events, Some(TIMEOUT)) {
            Ok(()) if events.is_empty() => return Err(timed_out("poll")),
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn join<T>(handle: thread::JoinHandle<io::Result<T>>) -> io::Result<T> {
    handle
        .join()
        .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::Other, "thread panicked")))
}

/// Two threads, each with its own Poll and Waker, wake each other in turn. One op = one
/// round trip. The "server" is the thread that answers.
pub fn waker_pingpong(p: &Params) -> io::Result<Sample> {
    let ops = p.ops;
    let mut poll_a = Poll::new()?;
    let mut poll_b = Poll::new()?;
    let waker_a = Waker::new(poll_a.registry(), Token(0))?;
    let waker_b = Arc::new(Waker::new(poll_b.registry(), Token(0))?);
    let go = Arc::new(Barrier::new(2));

    let answer_to = Arc::new(waker_a);
    let server = {
        let (go, answer_to) = (Arc::clone(&go), Arc::clone(&answer_to));
        thread::spawn(move || -> io::Result<ThreadStats> {
            let mut meter = ThreadMeter::new()?;
            let mut events = Events::with_capacity(64);
            go.wait();
            meter.start();
            for _ in 0..ops {
                poll_some(&mut poll_b, &mut events)?;
                answer_to.wake()?;
            }
            Ok(meter.stop())
        })
    };

    let mut meter = ThreadMeter::new()?;
    let mut events = Events::with_capacity(64);
    go.wait();
    meter.start();
    for _ in 0..ops {
        waker_b.wake()?;
        poll_some(&mut poll_a, &mut events)?;
    }
    let client = meter.stop();
    Ok(Sample::new(ops, join(server)?).with_others(vec![client]))
}

/// `WAKING_THREADS` threads call `wake()` on one Waker as fast as they can while the server
/// polls. One op = one `wake()` call.
pub fn many_wakes(p: &Params) -> io::Result<Sample> {
    let per_thread = p.ops / WAKING_THREADS as u64;
    let mut poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), Token(1))?);
    let finished = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(Barrier::new(WAKING_THREADS + 1));

    let wakers: Vec<_> = (0..WAKING_THREADS)
        .map(|_| {
            let (waker, finished, go) =
                (Arc::clone(&waker), Arc::clone(&finished), Arc::clone(&go));
            thread::spawn(move || -> io::Result<ThreadStats> {
                let mut meter = ThreadMeter::new()?;
                go.wait();
                meter.start();
                for _ in 0..per_thread {
                    waker.wake()?;
                }
                let stats = meter.stop();
                finished.fetch_add(1, Ordering::SeqCst);
                // Outside the window: makes sure the server sees that this thread is done.
                waker.wake()?;
                Ok(stats)
            })
        })
        .collect();

    let mut meter = ThreadMeter::new()?;
    let mut events = Events::with_capacity(64);
    go.wait();
    meter.start();
    let result = loop {
        if let Err(e) = poll_some(&mut poll, &mut events) {
            break Err(e);
        }
        if finished.load(Ordering::SeqCst) == WAKING_THREADS {
            break Ok(());
        }
    };
    let server = meter.stop();
    let others = wakers
        .into_iter()
        .map(join)
        .collect::<io::Result<Vec<_>>>()?;
    result?;
    Ok(Sample::new(per_thread * WAKING_THREADS as u64, server).with_others(others))
}

/// register, reregister (new interests) and deregister eventfds through `SourceFd`. One op =
/// one such cycle (three calls).
pub fn reg_churn(p: &Params) -> io::Result<Sample> {
    let poll = Poll::new()?;
    let registry = poll.registry();
    let fds = eventfds(CHURN_FDS)?;
    let mut meter = ThreadMeter::new()?;
    meter.start();
    for i in 0..p.ops as usize {
        let fd = fds[i % CHURN_FDS].as_raw_fd();
        registry.register(&mut SourceFd(&fd), Token(i), Interest::READABLE)?;
        registry.reregister(
            &mut SourceFd(&fd),
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        registry.deregister(&mut SourceFd(&fd))?;
    }
    Ok(Sample::new(p.ops, meter.stop()))
}

/// A Poll with `IDLE_SOURCES` idle eventfds registered and one Waker. One op = one `wake()`
/// followed by one `poll` that reports it.
pub fn idle_10k(p: &Params) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let idle = eventfds(IDLE_SOURCES)?;
    for (i, fd) in idle.iter().enumerate() {
        poll.registry().register(
            &mut SourceFd(&fd.as_raw_fd()),
            Token(i + 1),
            Interest::READABLE,
        )?;
    }
    let waker = Waker::new(poll.registry(), Token(0))?;
    let mut events = Events::with_capacity(1024);
    let mut meter = ThreadMeter::new()?;
    meter.start();
    for _ in 0..p.ops {
        waker.wake()?;
        poll_some(&mut poll, &mut events)?;
    }
    Ok(Sample::new(p.ops, meter.stop()))
}
