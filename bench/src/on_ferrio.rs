//! The generic workloads instantiated on ferrio.
//!
//! The networking workloads need `ferrio::net`, which is not merged into this branch yet: they
//! are compiled for ferrio only with `RUSTFLAGS="--cfg ferrio_bench_net"`, a gate to remove once
//! net is merged.

pub use ferrio as lib;

#[path = "generic/core.rs"]
pub mod core;
#[cfg(ferrio_bench_net)]
#[path = "generic/net.rs"]
pub mod net;
