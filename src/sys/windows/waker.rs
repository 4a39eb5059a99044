//! The Windows Waker: a completion packet posted to the selector's port. Its `OVERLAPPED`
//! pointer is null and its key is the token, so the selector tells it apart without taking a
//! bit of the token, and any number of Wakers (each with its own token) can share a port.

use std::io;
use std::ptr;
use std::sync::Arc;

use super::iocp::CompletionPort;
use super::Selector;
use crate::sys::WakerApi;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    port: Arc<CompletionPort>,
    token: Token,
}

impl WakerApi for Waker {
    type Selector = Selector;

    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let port = selector.shared_port();
        Ok(Waker { port, token })
    }

    fn wake(&self) -> io::Result<()> {
        self.port.post(self.token.0, ptr::null_mut())
    }
}
