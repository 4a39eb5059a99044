//! Readiness events and the [`Source`] trait.
//!
//! [`Poll::poll`](crate::Poll::poll) fills an [`Events`] buffer; iterating it yields one
//! [`Event`] per ready source (a source that is both readable and writable may appear once or
//! twice, depending on the backend). Anything that can be registered implements [`Source`].

#[allow(clippy::module_inception)]
mod event;
mod events;
mod source;

pub use self::event::Event;
pub use self::events::{Events, Iter};
pub use self::source::Source;
