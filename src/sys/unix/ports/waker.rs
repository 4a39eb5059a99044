//! The event ports Waker: a user event (`port_send`), sent at most once until the poller has
//! fetched it.

use std::io;
use std::sync::PoisonError;

use libc::c_int;

use super::kernel;
use super::selector::{Selector, Shared};
use super::table::Pending;
use crate::sys::sync::Arc;
use crate::sys::WakerApi;
use crate::Token;

/// A Waker is an id in its port's table, which maps it to its token and its flag. `wake`
/// sends a user event carrying the id, unless the flag says that one was sent and not fetched
/// yet; the poller clears the flag when it fetches the event (`Table::translate`). Each event
/// sent holds kernel memory until fetched (the port refuses more, with EAGAIN, past the
/// system's limit), so the flag also keeps a Waker that is woken in a loop from filling the
/// port. Events of a Waker that is dropped meanwhile report nothing.
#[derive(Debug)]
pub(crate) struct Waker {
    shared: Arc<Shared>,
    id: usize,
    pending: Pending,
}

impl WakerApi for Waker {
    type Selector = Selector;

    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let shared = selector.shared();
        let (id, pending) = shared.lock().add_waker(token);
        Ok(Waker {
            shared: Arc::clone(shared),
            id,
            pending,
        })
    }

    fn wake(&self) -> io::Result<()> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if *pending {
            return Ok(());
        }
        kernel::send(self.shared.port(), c_int::from(libc::POLLIN), self.id)?;
        *pending = true;
        Ok(())
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        self.shared.lock().remove_waker(self.id);
    }
}
