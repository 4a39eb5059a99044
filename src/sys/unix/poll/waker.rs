//! The poll(2) Waker: a notifier of its own in the selector's table (see [`Waker`]).

use std::io;
use std::sync::Arc;

use super::table::SlotKind;
use super::{Selector, Shared};
// The seam of the loom models: their kernel's eventfd under `--cfg loom`.
#[cfg(all(loom, test))]
use crate::sys::unix::loom_kernel::Notifier;
#[cfg(not(all(loom, test)))]
use crate::sys::unix::notify::Notifier;
use crate::sys::WakerApi;
use crate::Token;

/// A Waker is its own notifier in the table, flagged as a Waker: the poller recognises its
/// wake-ups by the slot, never by the token (which other sources may share), drains it when
/// it reports it and keeps it armed.
#[derive(Debug)]
pub(crate) struct Waker {
    shared: Arc<Shared>,
    notifier: Notifier,
}

impl WakerApi for Waker {
    type Selector = Selector;

    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let notifier = Notifier::new()?;
        selector
            .shared
            .wake_and_lock(|t| t.add(notifier.fd(), token, libc::POLLIN, SlotKind::Waker))??;
        Ok(Waker {
            shared: Arc::clone(&selector.shared),
            notifier,
        })
    }

    fn wake(&self) -> io::Result<()> {
        self.notifier.notify()
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        // The slot goes before the notifier's fd is closed (the fields drop after this).
        let fd = self.notifier.fd();
        self.shared.forget_slot(fd, SlotKind::Waker);
    }
}
