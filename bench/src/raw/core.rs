//! The core workloads on a hand-written epoll loop: eventfds written directly, `epoll_ctl` and
//! `epoll_wait` called directly. The floor the libraries are compared with.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use crate::harness::{
    eventfd_write, eventfds, Epoll, Params, CHURN_FDS, ET_READ, ET_READ_WRITE, IDLE_SOURCES,
    WAKING_THREADS,
};
use crate::meter::{Sample, ThreadMeter, ThreadStats};

fn join<T>(handle: thread::JoinHandle<io::Result<T>>) -> io::Result<T> {
    handle
        .join()
        .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::Other, "thread panicked")))
}

/// An eventfd registered edge-triggered with an epoll instance: a raw Waker.
fn raw_waker(ep: &Epoll, token: u64) -> io::Result<OwnedFd> {
    let fd = eventfds(1)?
        .pop()
        .ok_or_else(|| io::Error::new(io::ErrorKind::Other, "eventfd"))?;
    ep.add(fd.as_raw_fd(), ET_READ, token)?;
    Ok(fd)
}

pub fn waker_pingpong(p: &Params) -> io::Result<Sample> {
    let ops = p.ops;
    let mut ep_a = Epoll::new(64)?;
    let mut ep_b = Epoll::new(64)?;
    let efd_a = Arc::new(raw_waker(&ep_a, 0)?);
    let efd_b = raw_waker(&ep_b, 0)?;
    let go = Arc::new(Barrier::new(2));
    let server = {
        let (go, answer_to) = (Arc::clone(&go), Arc::clone(&efd_a));
        thread::spawn(move || -> io::Result<ThreadStats> {
            let mut meter = ThreadMeter::new()?;
            go.wait();
            meter.start();
            for _ in 0..ops {
                ep_b.wait_some()?;
                eventfd_write(answer_to.as_raw_fd())?;
            }
            Ok(meter.stop())
        })
    };
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    for _ in 0..ops {
        eventfd_write(efd_b.as_raw_fd())?;
        ep_a.wait_some()?;
    }
    let client = meter.stop();
    Ok(Sample::new(ops, join(server)?).with_others(vec![client]))
}

pub fn many_wakes(p: &Params) -> io::Result<Sample> {
    let per_thread = p.ops / WAKING_THREADS as u64;
    let mut ep = Epoll::new(64)?;
    let efd = Arc::new(raw_waker(&ep, 1)?);
    let finished = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(Barrier::new(WAKING_THREADS + 1));
    let wakers: Vec<_> = (0..WAKING_THREADS)
        .map(|_| {
            let (efd, finished, go) = (Arc::clone(&efd), Arc::clone(&finished), Arc::clone(&go));
            thread::spawn(move || -> io::Result<ThreadStats> {
                let mut meter = ThreadMeter::new()?;
                go.wait();
                meter.start();
                for _ in 0..per_thread {
                    eventfd_write(efd.as_raw_fd())?;
                }
                let stats = meter.stop();
                finished.fetch_add(1, Ordering::SeqCst);
                eventfd_write(efd.as_raw_fd())?;
                Ok(stats)
            })
        })
        .collect();
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    let result = loop {
        if let Err(e) = ep.wait_some() {
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

pub fn reg_churn(p: &Params) -> io::Result<Sample> {
    let ep = Epoll::new(64)?;
    let fds = eventfds(CHURN_FDS)?;
    let mut meter = ThreadMeter::new()?;
    meter.start();
    for i in 0..p.ops as usize {
        let fd = fds[i % CHURN_FDS].as_raw_fd();
        ep.add(fd, ET_READ, i as u64)?;
        ep.modify(fd, ET_READ_WRITE, i as u64)?;
        ep.delete(fd)?;
    }
    Ok(Sample::new(p.ops, meter.stop()))
}

pub fn idle_10k(p: &Params) -> io::Result<Sample> {
    let mut ep = Epoll::new(1024)?;
    let idle = eventfds(IDLE_SOURCES)?;
    for (i, fd) in idle.iter().enumerate() {
        ep.add(fd.as_raw_fd(), ET_READ, i as u64 + 1)?;
    }
    let efd = raw_waker(&ep, 0)?;
    let mut meter = ThreadMeter::new()?;
    meter.start();
    for _ in 0..p.ops {
        eventfd_write(efd.as_raw_fd())?;
        ep.wait_some()?;
    }
    Ok(Sample::new(p.ops, meter.stop()))
}
