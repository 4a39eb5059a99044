//! The kqueue Waker: an `EVFILT_USER` filter of its own (see [`Waker`]).

use std::io;

use super::rules::UData;
use super::selector::{empty_kevent, Selector};
use crate::sys::{SelectorApi, WakerApi};
use crate::Token;

/// A Waker is an `EVFILT_USER` filter of its own, with the caller's token, reported as
/// readable. Every kqueue system ferrio supports has `EVFILT_USER` in its current releases:
/// macOS, FreeBSD and DragonFly for many years, NetBSD from 10.0, OpenBSD from 7.8 (on older
/// ones `Waker::new` fails with the kernel's error, EINVAL).
///
/// - Its ident is the address of a heap byte the Waker owns, so every live Waker has a
///   different ident and any number of them can share a `Poll`.
/// - It holds its own duplicate of the kqueue fd: a Waker that outlives its `Poll` wakes a
///   kqueue nobody waits on, never a recycled fd number.
/// - `EV_CLEAR` resets the trigger once the event is delivered, so several wakes before a
///   poll coalesce into one event.
/// - Dropping it deletes the filter.
#[derive(Debug)]
pub(crate) struct Waker {
    kq: Selector,
    /// Its address is the filter's ident; its value is never read.
    ident_cell: Box<u8>,
    token: Token,
}

impl WakerApi for Waker {
    type Selector = Selector;

    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let kq = selector.try_clone()?;
        let ident_cell = Box::new(0u8);
        let mut add = user_change(ident_of(&ident_cell), token);
        add.flags |= libc::EV_ADD | libc::EV_CLEAR;
        // On failure nothing was added, and the duplicate fd and the cell are dropped here.
        kq.apply_user(add)?;
        Ok(Waker {
            kq,
            ident_cell,
            token,
        })
    }

    fn wake(&self) -> io::Result<()> {
        // Never EV_CLEAR here: the EVFILT_USER code of FreeBSD, NetBSD and OpenBSD resets the
        // trigger when a change carries EV_CLEAR, which would cancel this very wake. EV_ADD on
        // the existing filter only updates it, on every kqueue system. `udata` is passed again
        // because an update overwrites it.
        let mut trigger = user_change(self.ident(), self.token);
        trigger.flags |= libc::EV_ADD;
        trigger.fflags = libc::NOTE_TRIGGER;
        self.kq.apply_user(trigger)
    }
}

impl Waker {
    fn ident(&self) -> usize {
        ident_of(&self.ident_cell)
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        let mut delete = user_change(self.ident(), self.token);
        delete.flags |= libc::EV_DELETE;
        // Nothing to do on failure: the filter goes with the kqueue once its last fd closes.
        let _ = self.kq.apply_user(delete);
    }
}

fn ident_of(cell: &u8) -> usize {
    cell as *const u8 as usize
}

/// A change of a Waker's user filter, with `EV_RECEIPT` and the token; the caller adds the
/// action's flags.
fn user_change(ident: usize, token: Token) -> libc::kevent {
    let mut kev = empty_kevent();
    kev.ident = ident;
    kev.filter = libc::EVFILT_USER;
    kev.flags = libc::EV_RECEIPT;
    kev.udata = UData::from_token(token);
    kev
}
