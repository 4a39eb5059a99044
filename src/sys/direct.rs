//! The per-source state of the backends that need none: epoll and kqueue, whose kernel keeps
//! each registration and re-arms it by itself, and WASI preview 1, whose selector passes every
//! registration to `poll_oneoff` on each call (level-triggered). Every call goes straight to
//! the selector, and an operation's result is never looked at. (poll(2) and event ports keep
//! state of their own: `unix/edge/`.)

use std::io;

use crate::sys::{IoSourceApi, RawIo, Selector, SelectorApi, Watch};
use crate::Interest;

#[derive(Debug)]
pub(crate) struct IoSourceState;

impl IoSourceApi for IoSourceState {
    type Selector = Selector;

    fn new() -> Self {
        IoSourceState
    }
    fn register(&mut self, selector: &Selector, fd: RawIo, watch: Watch) -> io::Result<()> {
        selector.register(fd, watch.token, watch.interests)
    }
    fn reregister(&mut self, selector: &Selector, fd: RawIo, watch: Watch) -> io::Result<()> {
        selector.reregister(fd, watch.token, watch.interests)
    }
    fn deregister(&mut self, selector: &Selector, fd: RawIo) -> io::Result<()> {
        selector.deregister(fd)
    }
    #[inline]
    fn do_io<T, F>(&self, _fd: RawIo, _blocked: Interest, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        f()
    }
}
