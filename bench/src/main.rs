//! ferrio-bench: the same server workloads on ferrio, on mio (crates.io) and on a hand-written
//! epoll loop, alternated in rounds, with medians and ratios printed as a Markdown table.
//!
//! ```text
//! cargo run --release -p ferrio-bench -- --quick     # a short run (about a minute)
//! cargo run --release -p ferrio-bench                # the full run
//! cargo run --release -p ferrio-bench -- --help
//! ```
//!
//! Per workload and variant it reports throughput, the CPU time of the server thread per
//! operation (getrusage(RUSAGE_THREAD), steadier than wall time on a busy machine), the CPU
//! time of all measured threads, system calls per operation (perf tracepoint counters per
//! thread, or strace) and allocations per operation (a counting global allocator). Only the
//! threads that run the library under test are measured; the clients are the same code for
//! every variant and are not.

mod harness;
mod meter;
mod on_ferrio;
mod on_mio;
mod perf;
mod raw;
mod report;
mod strace;
mod udp_batch;
mod workloads;

use std::process::ExitCode;

use harness::Params;
use meter::SyscallMode;
use report::Results;
use workloads::{Variant, Workload};

#[global_allocator]
static ALLOC: meter::CountingAlloc = meter::CountingAlloc;

const HELP: &str = "\
ferrio-bench: ferrio vs mio vs a raw epoll loop

USAGE: cargo run --release -p ferrio-bench -- [OPTIONS]

OPTIONS:
  --quick               short run: fewer ops per sample, 3 rounds
  --rounds N            rounds (each runs every variant once, in rotating order); default 5
  --only a,b,...        only these workloads (names as in the table)
  --variants a,b,...    among ferrio, mio, raw, quinn, ferrio-bare (default: all)
  --syscalls MODE       auto (default), perf, strace or off
                        perf: per-thread perf counters (root or perf_event_paranoid <= -1)
                        strace: each sample in a child under strace (per-syscall breakdown;
                        CPU and throughput of those runs are not reported)
  --scale F             multiply the op counts by F
  --list                list the workloads
";

struct Options {
    quick: bool,
    rounds: usize,
    only: Option<Vec<String>>,
    variants: Vec<Variant>,
    syscalls: String,
    scale: f64,
    list: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        rounds: 0,
        only: None,
        variants: Variant::ALL.to_vec(),
        syscalls: "auto".into(),
        scale: 1.0,
        list: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--full" => o.quick = false,
            "--rounds" => o.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--only" => o.only = Some(value()?.split(',').map(str::to_string).collect()),
            "--variants" => {
                o.variants = value()?
                    .split(',')
                    .map(|v| Variant::parse(v).ok_or_else(|| format!("unknown variant {v}")))
                    .collect::<Result<_, _>>()?
            }
            "--syscalls" => o.syscalls = value()?,
            "--scale" => o.scale = value()?.parse().map_err(|e| format!("--scale: {e}"))?,
            "--list" => o.list = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.rounds == 0 {
        o.rounds = if o.quick { 3 } else { 5 };
    }
    Ok(o)
}

/// `--child WORKLOAD VARIANT OPS`: one sample, printed for the strace parent.
fn child(args: &[String]) -> ExitCode {
    meter::set_mode(SyscallMode::StraceMarkers);
    let found = workloads::all()
        .into_iter()
        .find(|w| Some(&w.name.to_string()) == args.first());
    let variant = args.get(1).and_then(|v| Variant::parse(v));
    let ops = args.get(2).and_then(|n| n.parse().ok());
    let (Some(w), Some(v), Some(ops)) = (found, variant, ops) else {
        eprintln!("bad --child arguments");
        return ExitCode::FAILURE;
    };
    let Some(run) = w.run_fn(v) else {
        eprintln!("{} has no {} variant in this build", w.name, v.name());
        return ExitCode::FAILURE;
    };
    match run(&Params { ops }) {
        Ok(sample) => {
            println!("{}", strace::child_line(&sample));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn choose_syscall_mode(requested: &str) -> Result<(SyscallMode, bool, String), String> {
    let perf = perf::probe();
    match (requested, perf) {
        ("perf" | "auto", Some(id)) => Ok((
            SyscallMode::Perf(id),
            false,
            "perf counters on raw_syscalls:sys_enter, per measured thread".into(),
        )),
        ("perf", None) => Err(
            "perf counters are not available here (need root or perf_event_paranoid <= -1)".into(),
        ),
        ("strace", _) | ("auto", None) if strace::available() => Ok((
            SyscallMode::Off,
            true,
            "strace -f -ff in a child per sample, calls between window markers of measured threads"
                .into(),
        )),
        ("strace", _) => Err("strace is not installed (apt-get install strace)".into()),
        ("auto" | "off", _) => Ok((SyscallMode::Off, false, "not counted".into())),
        (other, _) => Err(format!("unknown --syscalls mode {other}")),
    }
}

fn run_workload(w: &Workload, o: &Options, use_strace: bool, seq: &mut usize) -> Results {
    let ops = ((if o.quick { w.quick_ops } else { w.full_ops }) as f64 * o.scale).max(1.0) as u64;
    let variants: Vec<Variant> = o
        .variants
        .iter()
        .copied()
        .filter(|v| w.run_fn(*v).is_some())
        .collect();
    let mut samples: Vec<(Variant, Vec<meter::Sample>)> =
        variants.iter().map(|v| (*v, Vec::new())).collect();
    for round in 0..o.rounds {
        for k in 0..variants.len() {
            // Rotate the order every round so no variant always runs first (or last).
            let v = variants[(k + round) % variants.len()];
            let result = match (use_strace, w.run_fn(v)) {
                (true, _) => {
                    *seq += 1;
                    strace::run(w.name, v, ops, *seq)
                }
                (false, Some(run)) => run(&Params { ops }),
                (false, None) => continue,
            };
            match result {
                Ok(s) => {
                    if let Some((_, list)) = samples.iter_mut().find(|(x, _)| *x == v) {
                        list.push(s);
                    }
                }
                Err(e) => eprintln!("  {} / {} round {round}: error: {e}", w.name, v.name()),
            }
        }
        eprint!(".");
    }
    eprintln!();
    Results {
        workload: w.name,
        op: w.op,
        samples,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    harness::raise_fd_limit();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    let o = match parse_args(&args) {
        Ok(o) => o,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}\n");
            }
            eprint!("{HELP}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    let all = workloads::all();
    if o.list {
        for w in &all {
            let missing: Vec<&str> = Variant::ALL
                .iter()
                .filter(|v| w.run_fn(**v).is_none())
                .map(|v| v.name())
                .collect();
            println!(
                "{:16} one op = {}{}",
                w.name,
                w.op,
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(" (not built: {})", missing.join(", "))
                }
            );
        }
        return ExitCode::SUCCESS;
    }
    let (mode, use_strace, method) = match choose_syscall_mode(&o.syscalls) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    meter::set_mode(mode);
    let selected: Vec<&Workload> = all
        .iter()
        .filter(|w| {
            o.only
                .as_ref()
                .map_or(true, |only| only.iter().any(|n| n == w.name))
        })
        .collect();
    if selected.is_empty() {
        eprintln!("error: no workload selected (see --list)");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "ferrio-bench: {} mode, {} rounds, variants: {}",
        if o.quick { "quick" } else { "full" },
        o.rounds,
        o.variants
            .iter()
            .map(|v| v.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut seq = 0;
    let mut results = Vec::new();
    for w in selected {
        eprint!("{:16} ", w.name);
        results.push(run_workload(w, &o, use_strace, &mut seq));
    }
    println!();
    if use_strace {
        println!("(strace run: CPU and throughput figures are distorted by tracing; read the syscall columns)\n");
    }
    println!("{}", report::table(&results, &method));
    if let Some(b) = report::breakdown(&results) {
        println!("{b}");
    }
    ExitCode::SUCCESS
}
