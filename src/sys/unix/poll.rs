//! The poll(2) selector: placeholder, to be implemented.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{EventApi, IoSourceApi, SelectorApi};
use crate::{Interest, Token};

#[derive(Debug, Clone)]
pub(crate) struct Event {
    token: Token,
    revents: libc::c_short,
}

#[derive(Debug)]
pub(crate) struct Selector {}

impl SelectorApi for Selector {
    type Event = Event;

    fn new() -> io::Result<Selector> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "poll(2) backend not implemented yet"))
    }
    fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {})
    }
    fn select(&self, _events: &mut Vec<Event>, _timeout: Option<Duration>) -> io::Result<()> {
        unimplemented!()
    }
    fn register(&self, _fd: RawFd, _token: Token, _interests: Interest) -> io::Result<()> {
        unimplemented!()
    }
    fn reregister(&self, _fd: RawFd, _token: Token, _interests: Interest) -> io::Result<()> {
        unimplemented!()
    }
    fn deregister(&self, _fd: RawFd) -> io::Result<()> {
        unimplemented!()
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }
    fn is_readable(&self) -> bool {
        self.revents & (libc::POLLIN | libc::POLLPRI) != 0
    }
    fn is_writable(&self) -> bool {
        self.revents & libc::POLLOUT != 0
    }
    fn is_error(&self) -> bool {
        self.revents & libc::POLLERR != 0
    }
    fn is_read_closed(&self) -> bool {
        self.revents & libc::POLLHUP != 0
    }
    fn is_write_closed(&self) -> bool {
        self.revents & libc::POLLHUP != 0
    }
    fn is_priority(&self) -> bool {
        self.revents & libc::POLLPRI != 0
    }
    fn is_aio(&self) -> bool {
        false
    }
    fn is_lio(&self) -> bool {
        false
    }
    fn debug_details(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("pollfd").field("revents", &self.revents).finish()
    }
}

#[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
#[derive(Debug)]
pub(crate) struct IoSourceState;

impl IoSourceApi for IoSourceState {
    type Selector = Selector;

    fn new() -> Self {
        IoSourceState
    }
    fn register(&mut self, s: &Selector, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        s.register(fd, token, interests)
    }
    fn reregister(&mut self, s: &Selector, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        s.reregister(fd, token, interests)
    }
    fn deregister(&mut self, s: &Selector, fd: RawFd) -> io::Result<()> {
        s.deregister(fd)
    }
    fn do_io<T, F>(&self, _fd: RawFd, _blocked: Interest, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        f()
    }
}

#[derive(Debug)]
pub(crate) struct Waker {}

impl Waker {
    pub(crate) fn new(_selector: &Selector, _token: Token) -> io::Result<Waker> {
        unimplemented!()
    }
    pub(crate) fn wake(&self) -> io::Result<()> {
        unimplemented!()
    }
}
