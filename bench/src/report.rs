//! Medians over rounds, ratios against mio, and the tables printed at the end of a run.

use std::fmt::Write as _;

use crate::meter::Sample;
use crate::workloads::Variant;

/// The samples of one workload: per variant, one sample per round.
pub struct Results {
    pub workload: &'static str,
    pub op: &'static str,
    pub samples: Vec<(Variant, Vec<Sample>)>,
}

/// Per-variant medians of one workload.
#[derive(Debug, Clone, Copy)]
struct Summary {
    ops_per_sec: f64,
    cpu_ns: f64,
    cpu_min: f64,
    cpu_max: f64,
    all_cpu_ns: f64,
    syscalls: Option<f64>,
    allocs: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn summarize(samples: &[Sample]) -> Summary {
    let per_op = |f: &dyn Fn(&Sample) -> f64| -> Vec<f64> {
        samples
            .iter()
            .filter(|s| s.ops > 0)
            .map(|s| f(s) / s.ops as f64)
            .collect()
    };
    let cpu = per_op(&|s| s.server.cpu.as_nanos() as f64);
    let syscalls: Vec<f64> = samples
        .iter()
        .filter_map(|s| s.syscalls().map(|n| n as f64 / s.ops.max(1) as f64))
        .collect();
    Summary {
        ops_per_sec: median(
            samples
                .iter()
                .map(|s| s.ops as f64 / s.wall().as_secs_f64().max(1e-9))
                .collect(),
        ),
        cpu_ns: median(cpu.clone()),
        cpu_min: cpu.iter().copied().fold(f64::INFINITY, f64::min),
        cpu_max: cpu.iter().copied().fold(0.0, f64::max),
        all_cpu_ns: median(per_op(&|s| s.total_cpu().as_nanos() as f64)),
        syscalls: if syscalls.is_empty() {
            None
        } else {
            Some(median(syscalls))
        },
        allocs: median(per_op(&|s| s.allocs() as f64)),
    }
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v >= 100_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 0.01 || v == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1e}")
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 && a == 0.0 {
        "=".into()
    } else if b == 0.0 || a.is_nan() || b.is_nan() {
        "-".into()
    } else {
        format!("{:.2}", a / b)
    }
}

/// The main table (Markdown).
pub fn table(results: &[Results], syscall_method: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| workload (one op) | variant | ops/s | server CPU ns/op (min–max) | all-thread CPU ns/op | syscalls/op | allocs/op | ÷mio ops/s | ÷mio CPU | ÷mio syscalls |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let summaries: Vec<(Variant, Summary)> =
            r.samples.iter().map(|(v, s)| (*v, summarize(s))).collect();
        let mio = summaries
            .iter()
            .find(|(v, _)| *v == Variant::Mio)
            .map(|(_, s)| *s);
        for (i, (variant, s)) in summaries.iter().enumerate() {
            let label = if i == 0 {
                format!("{} ({})", r.workload, r.op)
            } else {
                String::new()
            };
            let (q, c, y) = match (mio, variant) {
                (Some(m), v) if *v != Variant::Mio => (
                    ratio(s.ops_per_sec, m.ops_per_sec),
                    ratio(s.cpu_ns, m.cpu_ns),
                    match (s.syscalls, m.syscalls) {
                        (Some(a), Some(b)) => ratio(a, b),
                        _ => "-".into(),
                    },
                ),
                _ => (String::new(), String::new(), String::new()),
            };
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} ({}–{}) | {} | {} | {} | {q} | {c} | {y} |",
                variant.name(),
                num(s.ops_per_sec),
                num(s.cpu_ns),
                num(s.cpu_min),
                num(s.cpu_max),
                num(s.all_cpu_ns),
                s.syscalls.map(num).unwrap_or_else(|| "-".into()),
                if s.allocs == 0.0 {
                    "0".to_string()
                } else {
                    format!("{:.3}", s.allocs)
                },
            );
        }
    }
    let _ = writeln!(out, "\nSystem calls counted with: {syscall_method}.");
    out
}

/// Per-syscall breakdown (strace runs only): median calls per op of each syscall name.
pub fn breakdown(results: &[Results]) -> Option<String> {
    let mut out = String::new();
    let mut any = false;
    let _ = writeln!(
        out,
        "| workload | variant | syscalls per op (median over rounds) |"
    );
    let _ = writeln!(out, "|---|---|---|");
    for r in results {
        for (variant, samples) in &r.samples {
            let mut names: Vec<String> = samples
                .iter()
                .filter_map(|s| s.strace.as_ref())
                .flat_map(|m| m.iter().map(|(n, _)| n.clone()))
                .collect();
            names.sort();
            names.dedup();
            if names.is_empty() {
                continue;
            }
            any = true;
            let mut parts: Vec<(f64, String)> = names
                .iter()
                .map(|name| {
                    let per_op = samples
                        .iter()
                        .filter_map(|s| {
                            let m = s.strace.as_ref()?;
                            let n = m
                                .iter()
                                .find(|(k, _)| k == name)
                                .map(|(_, n)| *n)
                                .unwrap_or(0);
                            Some(n as f64 / s.ops.max(1) as f64)
                        })
                        .collect();
                    (median(per_op), name.clone())
                })
                .filter(|(v, _)| *v > 0.0)
                .collect();
            parts.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
            let text: Vec<String> = parts
                .iter()
                .map(|(v, n)| format!("{n} {}", num(*v)))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                r.workload,
                variant.name(),
                text.join(", ")
            );
        }
    }
    any.then_some(out)
}
