//! Failure injection for the unit tests: a switch that makes the next few calls of one
//! operation, for one fd or socket, fail with a chosen OS error instead of reaching the system.

use std::io;
use std::sync::{Mutex, PoisonError};

/// One injection point: at most one pending failure, for the handle named by a `usize` key.
pub(crate) struct Failures(Mutex<Option<(usize, usize, i32)>>);

impl Failures {
    pub(crate) const fn new() -> Failures {
        Failures(Mutex::new(None))
    }

    /// Makes the next `count` calls for `key` fail with OS error `code`.
    pub(crate) fn fail_next(&self, key: usize, count: usize, code: i32) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((key, count, code));
    }

    /// The error the current call for `key` has to return instead, if any.
    pub(crate) fn take(&self, key: usize) -> Option<io::Error> {
        let mut fail = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match *fail {
            Some((k, count, code)) if k == key && count > 0 => {
                *fail = (count > 1).then_some((k, count - 1, code));
                Some(io::Error::from_raw_os_error(code))
            }
            _ => None,
        }
    }
}
