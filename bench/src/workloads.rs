//! The table of workloads: what each measures, its operation, its sizes, and its variants.

use std::io;

use crate::harness::Params;
use crate::meter::Sample;
use crate::{on_ferrio, on_mio, raw, udp_batch};

/// The implementations compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Ferrio,
    Mio,
    Raw,
    /// quinn-udp on a std socket (the batched-UDP workloads only).
    Quinn,
    /// ferrio's batch calls with `UdpBatch::without_metadata` (the saturated flood only).
    FerrioBare,
}

impl Variant {
    pub const ALL: [Variant; 5] = [
        Variant::Ferrio,
        Variant::Mio,
        Variant::Raw,
        Variant::Quinn,
        Variant::FerrioBare,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Ferrio => "ferrio",
            Variant::Mio => "mio",
            Variant::Raw => "raw epoll",
            Variant::Quinn => "quinn-udp",
            Variant::FerrioBare => "ferrio, no metadata",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Variant::Ferrio => "ferrio",
            Variant::Mio => "mio",
            Variant::Raw => "raw",
            Variant::Quinn => "quinn",
            Variant::FerrioBare => "ferrio-bare",
        }
    }

    pub fn parse(s: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.key() == s)
    }
}

pub type RunFn = fn(&Params) -> io::Result<Sample>;

pub struct Workload {
    pub name: &'static str,
    /// What one operation is.
    pub op: &'static str,
    pub quick_ops: u64,
    pub full_ops: u64,
    /// ferrio, mio, raw, quinn, ferrio-bare (None: not available in this build, or not
    /// written).
    pub runs: [Option<RunFn>; 5],
}

impl Workload {
    pub fn run_fn(&self, v: Variant) -> Option<RunFn> {
        self.runs[Variant::ALL.iter().position(|x| *x == v).unwrap_or(0)]
    }
}

macro_rules! core_runs {
    ($f:ident) => {
        [
            Some(on_ferrio::core::$f as RunFn),
            Some(on_mio::core::$f as RunFn),
            Some(raw::core::$f as RunFn),
            None,
            None,
        ]
    };
}

macro_rules! ferrio_net {
    ($f:ident) => {
        Some(on_ferrio::net::$f as RunFn)
    };
}

macro_rules! net_runs {
    ($f:ident) => {
        [
            ferrio_net!($f),
            Some(on_mio::net::$f as RunFn),
            Some(raw::net::$f as RunFn),
            None,
            None,
        ]
    };
}

/// The batched-UDP workloads: ferrio's batch calls, mio one call per datagram, quinn-udp;
/// with `bare`, ferrio without received metadata too.
macro_rules! batch_runs {
    ($m:ident) => {
        [
            Some(udp_batch::$m::ferrio as RunFn),
            Some(udp_batch::$m::mio as RunFn),
            None,
            Some(udp_batch::$m::quinn as RunFn),
            None,
        ]
    };
    ($m:ident, bare) => {
        [
            Some(udp_batch::$m::ferrio as RunFn),
            Some(udp_batch::$m::mio as RunFn),
            None,
            Some(udp_batch::$m::quinn as RunFn),
            Some(udp_batch::$m::ferrio_bare as RunFn),
        ]
    };
}

pub fn all() -> Vec<Workload> {
    vec![
        Workload {
            name: "tcp_pingpong",
            op: "32-byte echo, 64 conns",
            quick_ops: 40_000,
            full_ops: 200_000,
            runs: net_runs!(tcp_pingpong),
        },
        Workload {
            name: "tcp_stream",
            op: "64 KiB read",
            quick_ops: 20_000,
            full_ops: 100_000,
            runs: net_runs!(tcp_stream),
        },
        Workload {
            name: "tcp_churn",
            op: "connection served",
            quick_ops: 3_000,
            full_ops: 15_000,
            runs: net_runs!(tcp_churn),
        },
        Workload {
            name: "udp_pingpong",
            op: "datagram echoed, 16 in flight",
            quick_ops: 40_000,
            full_ops: 200_000,
            runs: net_runs!(udp_pingpong),
        },
        Workload {
            name: "udp_flood",
            op: "datagram received",
            quick_ops: 100_000,
            full_ops: 500_000,
            runs: net_runs!(udp_flood),
        },
        Workload {
            name: "udp_flood_batch",
            op: "datagram received, sender batching",
            quick_ops: 200_000,
            full_ops: 1_000_000,
            runs: batch_runs!(flood),
        },
        Workload {
            name: "udp_flood_saturated",
            op: "datagram received, receiver saturated",
            quick_ops: 200_000,
            full_ops: 1_000_000,
            runs: batch_runs!(flood_saturated, bare),
        },
        Workload {
            name: "udp_gso_bulk",
            op: "1200-byte datagram received",
            quick_ops: 200_000,
            full_ops: 1_000_000,
            runs: batch_runs!(bulk),
        },
        Workload {
            name: "waker_pingpong",
            op: "round trip",
            quick_ops: 20_000,
            full_ops: 100_000,
            runs: core_runs!(waker_pingpong),
        },
        Workload {
            name: "many_wakes",
            op: "wake() call, 2 threads",
            quick_ops: 200_000,
            full_ops: 1_000_000,
            runs: core_runs!(many_wakes),
        },
        Workload {
            name: "reg_churn",
            op: "register+reregister+deregister",
            quick_ops: 100_000,
            full_ops: 500_000,
            runs: core_runs!(reg_churn),
        },
        Workload {
            name: "idle_10k",
            op: "wake + poll, 10k idle fds",
            quick_ops: 50_000,
            full_ops: 200_000,
            runs: core_runs!(idle_10k),
        },
    ]
}
