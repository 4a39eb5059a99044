//! The generic workloads instantiated on ferrio.

pub use ferrio as lib;

#[path = "generic/core.rs"]
pub mod core;
#[path = "generic/net.rs"]
pub mod net;
