use std::fmt;

use super::Event;
use crate::sys;

/// The buffer [`Poll::poll`](crate::Poll::poll) fills with events.
///
/// Its capacity, fixed at creation, is the most events one `poll` call returns, on every
/// backend; the rest wait for the next call. Allocate it once and reuse it: polling allocates
/// nothing.
///
/// ```
/// use ferrio::Events;
///
/// let events = Events::with_capacity(1024);
/// assert_eq!(events.capacity(), 1024);
/// assert!(events.is_empty());
/// ```
pub struct Events {
    inner: sys::Events,
}

impl Events {
    /// A buffer for up to `capacity` events per poll. Polling with a capacity of 0 is an error
    /// (`InvalidInput`), since no event could be returned.
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            inner: sys::Events::with_capacity(capacity),
        }
    }

    /// The most events one poll can return.
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// Whether the last poll returned no event.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Iterates over the events of the last poll.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self,
            pos: 0,
        }
    }

    /// Forgets the events of the last poll (the capacity stays).
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    pub(crate) fn sys_mut(&mut self) -> &mut sys::Events {
        &mut self.inner
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over the events in an [`Events`], from [`Events::iter`].
///
/// Its [`size_hint`](Iterator::size_hint) is exact (the number of events not yet yielded), so
/// it is an [`ExactSizeIterator`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: &'a Events,
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Event;

    fn next(&mut self) -> Option<Self::Item> {
        let event = self.inner.inner.get(self.pos).map(sys::public_event);
        self.pos += 1;
        event
    }

    /// Exact: the number of events not yet yielded.
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.inner.inner.len().saturating_sub(self.pos);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}
