//! The workloads on a hand-written epoll loop (libc only).

pub mod core;
pub mod net;
