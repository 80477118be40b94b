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

const SOURCE: &str = "CREATE TEMPORARY TABLE src (
  seq BIGINT, k BIGINT, v DOUBLE,
  ts AS TO_TIMESTAMP_LTZ(seq, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '5000000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '5000000',
  'fields.k.min' = '1', 'fields.k.max' = '1000', 'fields.v.min' = '0', 'fields.v.max' = '1'
);
";

const QUERY_A: &str =
    "CREATE TEMPORARY TABLE snk (seq BIGINT, k BIGINT, v DOUBLE, ts TIMESTAMP_LTZ(3)) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT seq, k, v, ts FROM src WHERE v > 0.1;
";

const QUERY_B: &str =
    "CREATE TEMPORARY TABLE snk (window_start TIMESTAMP(3), window_end TIMESTAMP(3), k BIGINT, cnt BIGINT, sv DOUBLE)
  WITH ('connector' = 'blackhole');
INSERT INTO snk
SELECT window_start, window_end, k, COUNT(*) AS cnt, SUM(v) AS sv
FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, k;
";

/// Not an anchor of Flink's: query B's shape over 5 s windows sliding by 1 s (each row in 5).
const QUERY_HOP: &str =
    "CREATE TEMPORARY TABLE snk (window_start TIMESTAMP(3), window_end TIMESTAMP(3), k BIGINT, cnt BIGINT, sv DOUBLE)
  WITH ('connector' = 'blackhole');
INSERT INTO snk
SELECT window_start, window_end, k, COUNT(*) AS cnt, SUM(v) AS sv
FROM TABLE(HOP(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '5' SECOND))
GROUP BY window_start, window_end, k;
";

/// Not an anchor of Flink's: an interval join of two datagen streams of 1,000,000 rows each
/// (100,000 keys, about 10 rows per key on each side), every row joined with the other side's
/// rows of its key from the second before it. Its own sources replace `src`.
const QUERY_INTERVAL_JOIN: &str = "CREATE TEMPORARY TABLE l (
  seq BIGINT, k BIGINT, ts AS TO_TIMESTAMP_LTZ(seq * 5, 3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '1000000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '1000000',
  'fields.k.min' = '1', 'fields.k.max' = '100000'
);
CREATE TEMPORARY TABLE r (
  seq BIGINT, k BIGINT, ts AS TO_TIMESTAMP_LTZ(seq * 5, 3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '1000000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '1000000',
  'fields.k.min' = '1', 'fields.k.max' = '100000'
);
CREATE TEMPORARY TABLE snk (lseq BIGINT, rseq BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT l.seq, r.seq FROM l, r
WHERE l.k = r.k AND r.ts BETWEEN l.ts - INTERVAL '1' SECOND AND l.ts;
";

const ROWS: f64 = 5_000_000.0;
/// Rows read by the interval join: both sides.
const JOIN_ROWS: f64 = 2_000_000.0;

/// Runs the statements; returns the INSERT's rows out and seconds.
fn run(runtime: &tokio::runtime::Runtime, query: &str, parallelism: usize) -> Result<(u64, f64), EngineError> {
    let file =
        pipegen_sql::parse_file(Path::new("anchor.sql"), &format!("{SOURCE}{query}")).expect("the anchors parse");
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
        ("hop 5 s / 1 s, 1,000 keys", QUERY_HOP, None, 1),
        ("hop at parallelism 2", QUERY_HOP, None, 2),
        (
            "interval join 1 s, 2 x 1 M rows, 100,000 keys",
            QUERY_INTERVAL_JOIN,
            None,
            1,
        ),
        ("interval join at parallelism 2", QUERY_INTERVAL_JOIN, None, 2),
    ] {
        let rows_in = if query == QUERY_INTERVAL_JOIN { JOIN_ROWS } else { ROWS };
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
