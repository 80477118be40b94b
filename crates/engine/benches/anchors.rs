//! The Flink anchors, run unchanged through the embedded engine at parallelism 1, beside the
//! figures Flink 2.1 reached on a machine of this kind (shared/bench/flink-anchors.md):
//! query A (datagen → filter → blackhole, 5,000,000 rows) 1.44 M rows/s; query B (tumbling
//! 1 s window, 1,000 keys) 0.64 M rows/s. Rate = rows / time from deploying the INSERT to its
//! end, as Flink's job duration counts, median of 3 runs. The window queries run again with
//! `flink.parallelism` 2 (two keyed window instances) on the same two-worker runtime, so the
//! two figures compare side by side.

use std::path::Path;
use std::time::Instant;

use pipegen_engine::{Engine, EngineError};

const SOURCE: &str = include_str!("sql/source.sql");

const QUERY_A: &str = include_str!("sql/a.sql");

const QUERY_B: &str = include_str!("sql/b.sql");

/// Not an anchor of Flink's: query B's shape over 5 s windows sliding by 1 s (each row in 5).
const QUERY_HOP: &str = include_str!("sql/hop.sql");

/// Not an anchor of Flink's: an interval join of two datagen streams of 1,000,000 rows each
/// (100,000 keys, about 10 rows per key on each side), every row joined with the other side's
/// rows of its key from the second before it. Its own sources replace `src`.
const QUERY_INTERVAL_JOIN: &str = include_str!("sql/interval_join.sql");

/// An OVER aggregation (Flink's OverAggregate): each row with the sum of its key's last 11
/// values, over query A's source.
const QUERY_OVER: &str = include_str!("sql/over.sql");

/// The two sides of the window and temporal joins: 1,000,000 rows each, 10,000 keys, a row
/// every 5 ms of event time.
const TWO_STREAMS: &str = include_str!("sql/two_streams.sql");

/// A window join (Flink's WindowJoin): the two streams' rows of a key in the same 10 s
/// tumbling window.
const QUERY_WINDOW_JOIN: &str = include_str!("sql/window_join.sql");

/// An event-time temporal join (Flink's TemporalJoin): each left row with its key's version of
/// `r` (PRIMARY KEY k) valid at the row's time.
const QUERY_TEMPORAL_JOIN: &str = include_str!("sql/temporal_join.sql");

const ROWS: f64 = 5_000_000.0;
/// Flink 2.1's rates for the same statements on a machine of this kind (measured with
/// `scripts/flink-bench.sh`; see benches/README.md), input rows per second.
const FLINK_HOP: Option<f64> = Some(0.384e6);
const FLINK_INTERVAL_JOIN: Option<f64> = Some(0.629e6);
const FLINK_OVER: Option<f64> = Some(0.343e6);
const FLINK_WINDOW_JOIN: Option<f64> = Some(0.600e6);
const FLINK_TEMPORAL_JOIN: Option<f64> = Some(0.438e6);

/// Rows read by the joins: both sides.
const JOIN_ROWS: f64 = 2_000_000.0;

/// Runs the statements; returns the INSERT's rows out and seconds.
fn run(runtime: &tokio::runtime::Runtime, query: &str, parallelism: usize) -> Result<(u64, f64), EngineError> {
    let sources = if query == QUERY_WINDOW_JOIN || query == QUERY_TEMPORAL_JOIN {
        TWO_STREAMS
    } else {
        SOURCE
    };
    let file =
        pipegen_sql::parse_file(Path::new("anchor.sql"), &format!("{sources}{query}")).expect("the anchors parse");
    runtime.block_on(async {
        let mut engine = Engine::new(parallelism);
        let (last, setup) = file.statements.split_last().expect("statements");
        for statement in setup {
            engine.execute(statement).await?;
        }
        let started = Instant::now();
        let outcome = engine.execute(last).await?;
        Ok((
            outcome.iter().map(|o| o.rows_out).sum(),
            started.elapsed().as_secs_f64(),
        ))
    })
}

/// Peak resident memory of this process, from the kernel.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // `cargo bench -p pipegen-engine --bench anchors -- over join` runs the queries whose
    // names hold one of the words.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    // As `pipegen run` runs the engine: two workers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!("{:<44} {:>14} {:>12} {:>10}", "query", "rows/s", "Flink 2.1", "ratio");
    // B first: the process's peak memory after it is B's.
    for (name, query, flink, parallelism) in [
        ("B: tumbling 1 s window, 1,000 keys", QUERY_B, Some(0.64e6), 1),
        ("B at parallelism 2", QUERY_B, Some(0.64e6), 2),
        ("A: datagen -> filter -> blackhole", QUERY_A, Some(1.44e6), 1),
        ("hop 5 s / 1 s, 1,000 keys", QUERY_HOP, FLINK_HOP, 1),
        ("hop at parallelism 2", QUERY_HOP, FLINK_HOP, 2),
        (
            "interval join 1 s, 2 x 1 M rows, 100,000 keys",
            QUERY_INTERVAL_JOIN,
            FLINK_INTERVAL_JOIN,
            1,
        ),
        (
            "interval join at parallelism 2",
            QUERY_INTERVAL_JOIN,
            FLINK_INTERVAL_JOIN,
            2,
        ),
        ("OVER ROWS 10 PRECEDING, 1,000 keys", QUERY_OVER, FLINK_OVER, 1),
        (
            "window join 10 s, 2 x 1 M rows, 10,000 keys",
            QUERY_WINDOW_JOIN,
            FLINK_WINDOW_JOIN,
            1,
        ),
        (
            "temporal join, 2 x 1 M rows, 10,000 keys",
            QUERY_TEMPORAL_JOIN,
            FLINK_TEMPORAL_JOIN,
            1,
        ),
    ] {
        if !only.is_empty() && !only.iter().any(|word| name.contains(word.as_str())) {
            continue;
        }
        let rows_in = if [QUERY_INTERVAL_JOIN, QUERY_WINDOW_JOIN, QUERY_TEMPORAL_JOIN].contains(&query) {
            JOIN_ROWS
        } else {
            ROWS
        };
        let flink_text = flink.map_or("n/a".to_string(), |f: f64| format!("{:.2}M", f / 1e6));
        let mut rates = Vec::new();
        let mut outcome = None;
        for _ in 0..3 {
            match run(&runtime, query, parallelism) {
                Ok((rows_out, seconds)) => {
                    rates.push(rows_in / seconds);
                    outcome = Some(rows_out);
                }
                Err(e) => {
                    println!("{name:<44} {:>14} {flink_text:>12} {:>10}   ({e})", "n/a", "n/a");
                    break;
                }
            }
        }
        if rates.len() == 3 {
            rates.sort_by(f64::total_cmp);
            let median = rates[1];
            let ratio = flink.map_or("n/a".to_string(), |f| format!("{:.1}x", median / f));
            println!(
                "{name:<44} {:>13.2}M {flink_text:>12} {ratio:>10}   ({} rows out; runs {:.2}M, {:.2}M, {:.2}M)",
                median / 1e6,
                outcome.unwrap_or(0),
                rates[0] / 1e6,
                rates[1] / 1e6,
                rates[2] / 1e6
            );
        }
        if let Some(peak) = peak_rss_mb() {
            println!("{:<44} peak resident memory so far: {peak:.0} MB", "");
        }
    }
    println!("(Flink during query B: about 1,260 MB for JobManager + TaskManager)");
}
