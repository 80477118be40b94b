//! Lookup joins against a real PostgreSQL (started here on 127.0.0.1, a scratch data
//! directory, stopped at the end): 200,000 datagen orders joined with a table of 10,000 users,
//! without a cache and through Flink's PARTIAL cache, side by side in one process. Rate = input
//! rows / time from deploying the INSERT to its end, median of 3 runs; lookups per second =
//! keys asked of the database / the same time. Flink's figures for the same statement files
//! come from `scripts/flink-bench.sh lookup_join lookup_join_cached` (benches/README.md).
//!
//! Needs PostgreSQL's programs: `PIPEGEN_TEST_POSTGRES_BIN`, as scripts/install-test-tools.sh
//! prints it.

use std::path::Path;
use std::time::Instant;

use pipegen_engine::{Engine, EngineError, LookupSnapshot};
use pipegen_testkit::Postgres;

const SOURCE: &str = include_str!("sql/lookup_source.sql");
const UNCACHED: &str = include_str!("sql/lookup_join.sql");
const CACHED: &str = include_str!("sql/lookup_join_cached.sql");
const DIMENSION: &str = include_str!("sql/lookup_dimension.sql");
const ROWS: f64 = 200_000.0;

/// Runs the statements; returns the seconds the INSERT took and its lookup counters.
fn run(runtime: &tokio::runtime::Runtime, sql: &str) -> Result<(f64, LookupSnapshot), EngineError> {
    let file = pipegen_sql::parse_file(Path::new("lookup.sql"), sql).expect("the benchmark parses");
    runtime.block_on(async {
        let mut engine = Engine::new(1);
        let (last, setup) = file.statements.split_last().expect("statements");
        for statement in setup {
            engine.execute(statement).await?;
        }
        let started = Instant::now();
        let mut jobs = engine.deploy(last).await?;
        let job = jobs.pop().expect("the INSERT's job");
        let metrics = job.metrics.clone();
        job.wait().await?;
        let seconds = started.elapsed().as_secs_f64();
        let lookups = metrics.lookups().pop().expect("one lookup table");
        Ok((seconds, lookups))
    })
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let db = Postgres::start();
    db.psql(DIMENSION);
    let fill = |query: &str| {
        format!(
            "{SOURCE}{}",
            query
                .replace("${JDBC_URL}", &db.jdbc_url())
                .replace("${JDBC_USER}", Postgres::USER)
                .replace("${JDBC_PASSWORD}", Postgres::PASSWORD)
        )
    };
    // As `pipegen run` runs the engine: two workers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{:<36} {:>12} {:>14} {:>10}",
        "lookup join, 10,000 keys", "rows/s", "lookups/s", "lookups"
    );
    for (name, query) in [("no cache", UNCACHED), ("PARTIAL cache, 10,000 rows", CACHED)] {
        let mut runs = Vec::new();
        for _ in 0..3 {
            match run(&runtime, &fill(query)) {
                Ok(run) => runs.push(run),
                Err(e) => {
                    println!("{name:<36} failed: {e}");
                    break;
                }
            }
        }
        if runs.len() < 3 {
            continue;
        }
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (seconds, lookups) = &runs[1];
        println!(
            "{name:<36} {:>11.0}k {:>13.0}k {:>10}   (runs {:.0}k, {:.0}k, {:.0}k rows/s; cache hits {}, misses {}; lookup p50 {:.2} ms, p99 {:.2} ms)",
            ROWS / seconds / 1e3,
            lookups.lookups as f64 / seconds / 1e3,
            lookups.lookups,
            ROWS / runs[2].0 / 1e3,
            ROWS / runs[1].0 / 1e3,
            ROWS / runs[0].0 / 1e3,
            lookups.cache_hits,
            lookups.cache_misses,
            lookups.latency_micros.value_at_quantile(0.5) as f64 / 1000.0,
            lookups.latency_micros.value_at_quantile(0.99) as f64 / 1000.0,
        );
    }
}
