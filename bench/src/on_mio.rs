//! The generic workloads instantiated on mio (from crates.io), the reference.

pub use mio as lib;

// The same files as `on_ferrio` compiled a second time against another `lib`: that is the point.
#[allow(clippy::duplicate_mod)]
#[path = "generic/core.rs"]
pub mod core;
#[allow(clippy::duplicate_mod)]
#[path = "generic/net.rs"]
pub mod net;
