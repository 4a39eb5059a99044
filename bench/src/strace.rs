//! Counting system calls with strace, for machines where perf counters are not permitted (they
//! need root or `perf_event_paranoid <= -1` for tracepoints).
//!
//! The bench runs one workload on one variant in a child copy of itself under
//! `strace -f -ff`, one trace file per thread. In the child, every measured thread makes a
//! marker call (`write(-1, "ferrio-bench-start", ..)`, failing with EBADF) where its window
//! starts and another where it stops; the parent counts, per syscall name, the calls between
//! the two markers of each thread. strace slows every call down a lot, so CPU and throughput
//! of such a run are not reported, and timing-dependent counts (coalesced wakes) are only
//! indicative.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::meter::{Sample, ThreadStats, START_MARKER, STOP_MARKER};
use crate::workloads::Variant;

/// Whether an `strace` binary runs.
pub fn available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The line the child prints with its sample.
pub fn child_line(s: &Sample) -> String {
    format!(
        "sample ops={} server_cpu_ns={} server_wall_ns={} total_cpu_ns={} allocs={}",
        s.ops,
        s.server.cpu.as_nanos(),
        s.server.wall.as_nanos(),
        s.total_cpu().as_nanos(),
        s.allocs()
    )
}

fn parse_child_line(text: &str) -> Option<Sample> {
    let line = text.lines().find(|l| l.starts_with("sample "))?;
    let field = |name: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    let server = ThreadStats {
        cpu: Duration::from_nanos(field("server_cpu_ns")?),
        wall: Duration::from_nanos(field("server_wall_ns")?),
        syscalls: None,
        allocs: field("allocs")?,
    };
    let others = ThreadStats {
        cpu: Duration::from_nanos(field("total_cpu_ns")?).saturating_sub(server.cpu),
        ..ThreadStats::default()
    };
    Some(Sample::new(field("ops")?, server).with_others(vec![others]))
}

/// Counts, per syscall name, the calls between the start and stop markers of one trace file.
fn count_file(path: &Path, counts: &mut Vec<(String, u64)>) -> io::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let start = format!("\"{}\"", String::from_utf8_lossy(START_MARKER));
    let stop = format!("\"{}\"", String::from_utf8_lossy(STOP_MARKER));
    let mut inside = false;
    for line in text.lines() {
        if line.contains(&start) {
            inside = true;
            continue;
        }
        if line.contains(&stop) {
            inside = false;
            continue;
        }
        if !inside || line.starts_with("<...") || line.starts_with("---") || line.starts_with("+++")
        {
            continue;
        }
        let Some(name) = line
            .split('(')
            .next()
            .filter(|n| !n.is_empty() && !n.contains(' '))
        else {
            continue;
        };
        match counts.iter_mut().find(|(n, _)| n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name.to_string(), 1)),
        }
    }
    Ok(())
}

/// Runs `workload` on `variant` for `ops` operations in a child under strace.
pub fn run(workload: &str, variant: Variant, ops: u64, seq: usize) -> io::Result<Sample> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("ferrio-bench-{}-{seq}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe()?;
    let output = Command::new("strace")
        .args(["-f", "-ff", "-qq", "-o"])
        .arg(dir.join("t"))
        .arg("--")
        .arg(exe)
        .args(["--child", workload, variant.key(), &ops.to_string()])
        .stdin(Stdio::null())
        .output();
    let result = output.and_then(|out| {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut sample = parse_child_line(&stdout).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Other,
                format!(
                    "child failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            )
        })?;
        let mut counts = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            count_file(&entry?.path(), &mut counts)?;
        }
        sample.strace = Some(counts);
        Ok(sample)
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}
