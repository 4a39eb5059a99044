//! The generic workloads instantiated on ferrio.
//!
//! The networking workloads need `ferrio::net`, which is not merged into this branch yet: they
//! are compiled for ferrio only with the `ferrio-net` feature of this crate.

pub use ferrio as lib;

#[path = "generic/core.rs"]
pub mod core;
#[cfg(feature = "ferrio-net")]
#[path = "generic/net.rs"]
pub mod net;
