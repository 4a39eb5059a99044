use std::fmt;

use crate::sys::{self, EventApi};
use crate::Token;

/// One readiness event: which source (its [`Token`]) and what it is ready for.
///
/// Only [`is_readable`](Event::is_readable) and [`is_writable`](Event::is_writable) mean the
/// same on every platform. The others are hints: act on them if you like, but the operation's
/// own result (an error, a read of 0 bytes) is the truth.
///
/// A source that is both readable and writable is reported as one event with both flags
/// (epoll, poll(2)) or as two events with the same token (kqueue). See
/// [What differs between backends](crate::guide#what-differs-between-backends).
#[derive(Clone)]
#[repr(transparent)]
pub struct Event {
    inner: sys::Event,
}

impl Event {
    /// The token the source was registered with.
    pub fn token(&self) -> Token {
        self.inner.token()
    }

    /// The source has something to read: data, a connection to accept, end of stream, an
    /// error, or a Waker's wake-up.
    pub fn is_readable(&self) -> bool {
        self.inner.is_readable()
    }

    /// The source can be written to (also the signal that a non-blocking connect finished).
    pub fn is_writable(&self) -> bool {
        self.inner.is_writable()
    }

    /// The source has a pending error; for sockets, `take_error` reads it.
    pub fn is_error(&self) -> bool {
        self.inner.is_error()
    }

    /// The reading half is closed: the peer shut down its writing side or hung up.
    ///
    /// Linux, Android and the kqueue systems report a half-close; the poll(2) backend on other
    /// systems reports only a full hang-up, and a half-close appears there as readable.
    pub fn is_read_closed(&self) -> bool {
        self.inner.is_read_closed()
    }

    /// The writing half is closed: the peer will take no more data.
    pub fn is_write_closed(&self) -> bool {
        self.inner.is_write_closed()
    }

    /// Priority (out-of-band) data is available (Linux and Android, where
    /// [`Interest::PRIORITY`](crate::Interest) exists; false elsewhere).
    #[inline]
    pub fn is_priority(&self) -> bool {
        self.inner.is_priority()
    }

    /// A POSIX AIO operation completed (DragonFly, FreeBSD and Apple's systems, where
    /// `Interest::AIO` exists; false elsewhere).
    pub fn is_aio(&self) -> bool {
        self.inner.is_aio()
    }

    /// A `lio_listio` batch completed (FreeBSD, where `Interest::LIO` exists; false
    /// elsewhere).
    pub fn is_lio(&self) -> bool {
        self.inner.is_lio()
    }
}

impl fmt::Debug for Event {
    /// The alternate form (`{:#?}`) adds the raw OS fields under "details"; that part of the
    /// output is not stable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Details<'a>(&'a sys::Event);
        impl fmt::Debug for Details<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.debug_details(f)
            }
        }
        let alternate = f.alternate();
        let mut d = f.debug_struct("Event");
        d.field("token", &self.token())
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("priority", &self.is_priority())
            .field("aio", &self.is_aio())
            .field("lio", &self.is_lio());
        if alternate {
            d.field("details", &Details(&self.inner));
        }
        d.finish()
    }
}
