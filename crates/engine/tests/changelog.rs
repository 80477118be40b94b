//! Differential tests for the queries whose results update: non-windowed aggregations, joins,
//! Top-N and deduplication. Each runs in the engine over generated files (several files per
//! table, so rows interleave and results change across batches) and its changelog is checked
//! twice: every retraction must take back a row emitted before it (a changelog Flink's
//! materializing sinks accept), and the table it folds into must equal the result computed
//! here, independently of the engine, from the complete input.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::Dir;
use pipegen_engine::{Engine, EngineError, render};
use pipegen_sql::{Statement, parse_file};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

const EVENTS: i64 = 20_000;
const FILES: usize = 3;

#[derive(Debug, Clone)]
struct Event {
    seq: i64,
    k: String,
    /// Unique across events, so that rankings have no ties.
    v: i64,
    /// Unique too, so that deduplication by time has no ties.
    ts: i64,
}

fn events(seed: u64) -> Vec<Event> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..EVENTS)
        .map(|seq| Event {
            seq,
            k: format!("k{}", rng.random_range(0..25)),
            v: (seq * 7_919) % 1_000_003,
            ts: 1_700_000_000_000 + ((seq * 7_907) % EVENTS) * 10,
        })
        .collect()
}

#[derive(Debug, Clone)]
struct Customer {
    k: String,
    tier: i64,
}

/// Customers for some keys (k0..k19, so k20..k24 have none), some keys twice.
fn customers() -> Vec<Customer> {
    (0..20)
        .flat_map(|i| {
            let first = Customer {
                k: format!("k{i}"),
                tier: i % 3,
            };
            let second = (i % 5 == 0).then(|| Customer {
                k: format!("k{i}"),
                tier: 10 + i,
            });
            std::iter::once(first).chain(second)
        })
        .collect()
}

fn time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

struct Fixture {
    _dir: Dir,
    events: Vec<Event>,
    customers: Vec<Customer>,
    tables: String,
}

/// Events spread over several files (one source partition each), and customers.
fn fixture(name: &str, seed: u64) -> Fixture {
    let dir = Dir::new(&format!("changelog-{name}"));
    let events = events(seed);
    std::fs::create_dir_all(dir.0.join("events")).unwrap();
    std::fs::create_dir_all(dir.0.join("customers")).unwrap();
    for file in 0..FILES {
        let lines: String = events
            .iter()
            .filter(|e| e.seq as usize % FILES == file)
            .map(|e| format!("{},{},{},{}\n", e.seq, e.k, e.v, time(e.ts)))
            .collect();
        dir.write(&format!("events/part-{file}.csv"), &lines);
    }
    let customers = customers();
    for (file, half) in customers.chunks(customers.len() / 2 + 1).enumerate() {
        let lines: String = half.iter().map(|c| format!("{},{}\n", c.k, c.tier)).collect();
        dir.write(&format!("customers/part-{file}.csv"), &lines);
    }
    let tables = format!(
        "CREATE TABLE events (seq BIGINT, k STRING, v BIGINT, ts TIMESTAMP(3))
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE TABLE customers (k STRING, tier BIGINT)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');\n",
        dir.0.join("events").display(),
        dir.0.join("customers").display()
    );
    Fixture {
        _dir: dir,
        events,
        customers,
        tables,
    }
}

/// The final query's changelog, as `pipegen sql --format changelog` prints it, with
/// `parallelism` instances of each keyed operator.
fn changelog(sql: &str, parallelism: usize) -> Result<Vec<String>, EngineError> {
    let file = parse_file(Path::new("t.sql"), sql).unwrap();
    common::runtime().block_on(async {
        let mut engine = Engine::new(parallelism);
        let mut lines = Vec::new();
        for statement in &file.statements {
            if matches!(statement.kind, Statement::Query(_)) {
                let changes = engine.query(statement).await?;
                lines.extend(render::changelog(&changes)?.lines().map(str::to_string));
            } else {
                engine.execute(statement).await?;
            }
        }
        Ok(lines)
    })
}

/// Folds a changelog into its table (sorted rows), failing on a retraction of a row that is
/// not there; also returns how many rows were retractions.
fn fold(lines: &[String]) -> (Vec<String>, usize) {
    let mut table: BTreeMap<String, usize> = BTreeMap::new();
    let mut retractions = 0;
    for line in lines {
        let (kind, row) = line.split_at(2);
        let row = row.trim_start_matches('[').trim_end_matches(']').to_string();
        match kind {
            "+I" | "+U" => *table.entry(row).or_default() += 1,
            "-U" | "-D" => {
                retractions += 1;
                let count = table
                    .get_mut(&row)
                    .unwrap_or_else(|| panic!("`{line}` takes back a row that is not in the table"));
                *count -= 1;
                if *count == 0 {
                    table.remove(&row);
                }
            }
            other => panic!("unknown row kind {other} in `{line}`"),
        }
    }
    let rows = table
        .into_iter()
        .flat_map(|(row, n)| std::iter::repeat_n(row, n))
        .collect();
    (rows, retractions)
}

/// Checks the folded changelog against `expected`, with one instance per keyed operator and
/// with three; returns the retractions of the first.
fn check(name: &str, sql: &str, expected: Vec<String>) -> usize {
    let mut expected = expected;
    expected.sort();
    let mut retractions = None;
    for parallelism in [1, 3] {
        let lines = changelog(sql, parallelism).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (rows, taken_back) = fold(&lines);
        assert_eq!(rows.len(), expected.len(), "{name}, parallelism {parallelism}: rows");
        assert_eq!(rows, expected, "{name}, parallelism {parallelism}");
        retractions.get_or_insert(taken_back);
    }
    retractions.unwrap_or_default()
}

/// Items grouped by a key, keys in order.
fn grouped<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    key: impl Fn(&'a T) -> &'a str,
) -> BTreeMap<&'a str, Vec<&'a T>> {
    let mut groups: BTreeMap<&str, Vec<&T>> = BTreeMap::new();
    for item in items {
        groups.entry(key(item)).or_default().push(item);
    }
    groups
}

fn by_key<'a>(events: impl Iterator<Item = &'a Event>) -> BTreeMap<&'a str, Vec<&'a Event>> {
    grouped(events, |e| e.k.as_str())
}

#[test]
fn group_by_updates_each_key() {
    let f = fixture("group-by", 11);
    let expected = by_key(f.events.iter())
        .into_iter()
        .map(|(k, es)| {
            let vs: Vec<i64> = es.iter().map(|e| e.v).collect();
            format!(
                "{k}, {}, {}, {}, {}",
                vs.len(),
                vs.iter().sum::<i64>(),
                vs.iter().min().unwrap(),
                vs.iter().max().unwrap()
            )
        })
        .collect();
    let retractions = check(
        "group by",
        &format!(
            "{}SELECT k, COUNT(*), SUM(v), MIN(v), MAX(v) FROM events GROUP BY k;",
            f.tables
        ),
        expected,
    );
    assert!(retractions > 0, "keys seen in several batches are updated");

    // The operator's counters: every event in; out, every changelog row (+I, -U, +U).
    let keys = by_key(f.events.iter()).len() as u64;
    for parallelism in [1, 3] {
        let outcomes = common::run_with_operators(
            &format!(
                "{}CREATE TABLE sums (k STRING, n BIGINT) WITH ('connector' = 'blackhole');
                 INSERT INTO sums SELECT k, COUNT(*) FROM events GROUP BY k;",
                f.tables
            ),
            parallelism,
        )
        .unwrap();
        let (outcome, operators) = &outcomes[0];
        let names: Vec<&str> = operators.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["GroupAggregate"], "parallelism {parallelism}");
        let aggregate = &operators[0];
        assert_eq!(aggregate.records_in, f.events.len() as u64, "parallelism {parallelism}");
        assert_eq!(aggregate.records_out, outcome.rows_out, "parallelism {parallelism}");
        assert!(aggregate.records_out > keys, "updates were emitted: {aggregate:?}");
        assert!(aggregate.state_bytes > 0, "each key's group is kept: {aggregate:?}");
    }
}

#[test]
fn where_and_having_around_a_group_by() {
    let f = fixture("having", 12);
    let expected = by_key(f.events.iter().filter(|e| e.v % 2 == 0))
        .into_iter()
        .filter(|(_, es)| es.iter().map(|e| e.v).sum::<i64>() > 200_000_000)
        .map(|(k, es)| format!("{k}, {}", es.iter().map(|e| e.v).sum::<i64>()))
        .collect();
    check(
        "having",
        &format!(
            "{}SELECT k, SUM(v) AS total FROM events WHERE MOD(v, 2) = 0 GROUP BY k HAVING SUM(v) > 200000000;",
            f.tables
        ),
        expected,
    );
}

#[test]
fn distinct_counts_global_aggregates_and_select_distinct() {
    let f = fixture("distinct", 13);
    let expected = by_key(f.events.iter())
        .into_iter()
        .map(|(k, es)| {
            let distinct: BTreeSet<i64> = es.iter().map(|e| e.v % 10).collect();
            format!("{k}, {}", distinct.len())
        })
        .collect();
    check(
        "count distinct",
        &format!(
            "{}SELECT k, COUNT(DISTINCT MOD(v, 10)) FROM events GROUP BY k;",
            f.tables
        ),
        expected,
    );
    let total: i64 = f.events.iter().map(|e| e.v).sum();
    check(
        "global",
        &format!("{}SELECT COUNT(*), SUM(v) FROM events;", f.tables),
        vec![format!("{EVENTS}, {total}")],
    );
    let keys: BTreeSet<&str> = f.events.iter().map(|e| e.k.as_str()).collect();
    check(
        "select distinct",
        &format!("{}SELECT DISTINCT k FROM events;", f.tables),
        keys.iter().map(|k| k.to_string()).collect(),
    );
    let union: BTreeSet<String> = f
        .events
        .iter()
        .map(|e| e.k.clone())
        .chain(f.customers.iter().map(|c| format!("tier{}", c.tier)))
        .collect();
    check(
        "union",
        &format!(
            "{}SELECT k FROM events UNION SELECT CONCAT('tier', CAST(tier AS STRING)) FROM customers;",
            f.tables
        ),
        union.into_iter().collect(),
    );
}

fn customers_by_key(customers: &[Customer]) -> BTreeMap<&str, Vec<&Customer>> {
    grouped(customers, |c| c.k.as_str())
}

#[test]
fn inner_joins_append_every_match() {
    let f = fixture("inner-join", 14);
    let customers = customers_by_key(&f.customers);
    let expected = f
        .events
        .iter()
        .filter(|e| e.seq % 7 == 0)
        .flat_map(|e| {
            customers
                .get(e.k.as_str())
                .into_iter()
                .flatten()
                .map(move |c| format!("{}, {}, {}", e.seq, e.k, c.tier))
        })
        .collect();
    let retractions = check(
        "inner join",
        &format!(
            "{}SELECT e.seq, e.k, c.tier FROM events e JOIN customers c ON e.k = c.k WHERE MOD(e.seq, 7) = 0;",
            f.tables
        ),
        expected,
    );
    assert_eq!(retractions, 0, "an inner join of append-only inputs appends");
}

#[test]
fn left_joins_pad_then_take_back() {
    let f = fixture("left-join", 15);
    let customers = customers_by_key(&f.customers);
    // The extra condition keeps only some customers: other keys stay padded.
    let expected = f
        .events
        .iter()
        .filter(|e| e.seq % 11 == 0)
        .flat_map(|e| {
            let matches: Vec<String> = customers
                .get(e.k.as_str())
                .into_iter()
                .flatten()
                .filter(|c| c.tier >= 1)
                .map(|c| format!("{}, {}, {}", e.seq, e.k, c.tier))
                .collect();
            if matches.is_empty() {
                vec![format!("{}, {}, NULL", e.seq, e.k)]
            } else {
                matches
            }
        })
        .collect();
    check(
        "left join",
        &format!(
            "{}SELECT e.seq, e.k, c.tier FROM events e LEFT JOIN customers c ON e.k = c.k AND c.tier >= 1
             WHERE MOD(e.seq, 11) = 0;",
            f.tables
        ),
        expected,
    );
}

#[test]
fn right_and_full_outer_joins_keep_their_preserved_sides() {
    let f = fixture("full-join", 16);
    let small: Vec<&Event> = f.events.iter().filter(|e| e.seq % 97 == 0).collect();
    let event_keys: BTreeSet<&str> = small.iter().map(|e| e.k.as_str()).collect();
    let customers = customers_by_key(&f.customers);
    let events_kept: Vec<String> = small
        .iter()
        .flat_map(|e| match customers.get(e.k.as_str()) {
            Some(cs) => cs.iter().map(|c| format!("{}, {}", e.seq, c.tier)).collect(),
            None => vec![format!("{}, NULL", e.seq)],
        })
        .collect();
    check(
        "right join",
        &format!(
            "{}SELECT e.seq, c.tier FROM customers c
             RIGHT JOIN (SELECT * FROM events WHERE MOD(seq, 97) = 0) e ON e.k = c.k;",
            f.tables
        ),
        events_kept.clone(),
    );
    let mut expected = events_kept;
    expected.extend(
        f.customers
            .iter()
            .filter(|c| !event_keys.contains(c.k.as_str()))
            .map(|c| format!("NULL, {}", c.tier)),
    );
    check(
        "full join",
        &format!(
            "{}SELECT e.seq, c.tier FROM (SELECT * FROM events WHERE MOD(seq, 97) = 0) e
             FULL OUTER JOIN customers c ON e.k = c.k;",
            f.tables
        ),
        expected,
    );
}

#[test]
fn interval_joins_match_rows_close_in_time() {
    let f = fixture("interval-join", 17);
    // Each sampled event with the events of its key up to 2 s before it.
    let sample: Vec<&Event> = f.events.iter().filter(|e| e.seq % 50 == 0).collect();
    let groups = by_key(f.events.iter());
    let expected = sample
        .iter()
        .flat_map(|a| {
            groups[a.k.as_str()]
                .iter()
                .filter(|b| b.ts >= a.ts - 2_000 && b.ts <= a.ts)
                .map(move |b| format!("{}, {}", a.seq, b.seq))
        })
        .collect();
    let retractions = check(
        "interval join",
        &format!(
            "{}SELECT a.seq, b.seq FROM (SELECT * FROM events WHERE MOD(seq, 50) = 0) a, events b
             WHERE a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '2' SECOND AND a.ts;",
            f.tables
        ),
        expected,
    );
    assert_eq!(retractions, 0);
    let outcomes = common::run_with_operators(
        &format!(
            "{}CREATE TABLE pairs (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');
             INSERT INTO pairs SELECT a.seq, b.seq FROM (SELECT * FROM events WHERE MOD(seq, 50) = 0) a, events b
             WHERE a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '2' SECOND AND a.ts;",
            f.tables
        ),
        1,
    )
    .unwrap();
    let (outcome, operators) = &outcomes[0];
    assert_eq!(operators.len(), 1, "{operators:?}");
    // Without a WATERMARK the time bounds are a condition like any other: a regular join, as
    // Flink plans it (with event time it is an IntervalJoin that lets go of old rows).
    assert_eq!(operators[0].name, "Join");
    assert_eq!(
        operators[0].records_in,
        (sample.len() + f.events.len()) as u64,
        "both sides' rows"
    );
    assert_eq!(operators[0].records_out, outcome.rows_out);
}

/// Runs the statements, the last one an INSERT, and returns its job's state size at the end.
fn state_left_after(sql: &str) -> u64 {
    let file = parse_file(Path::new("t.sql"), sql).unwrap();
    common::runtime().block_on(async {
        let mut engine = Engine::new(1);
        let (insert, setup) = file.statements.split_last().unwrap();
        for statement in setup {
            engine.execute(statement).await.unwrap();
        }
        let jobs = engine.deploy(insert).await.unwrap();
        while !jobs[0].is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(jobs[0].failure(), None);
        jobs[0].snapshot().state_bytes
    })
}

#[test]
fn interval_joins_on_event_time_let_go_of_rows_the_watermark_passed() {
    let dir = Dir::new("changelog-interval-state");
    // Two streams in time order, 10 ms apart, over three files (partitions) each.
    for (side, offset) in [("l", 0), ("r", 3)] {
        std::fs::create_dir_all(dir.0.join(side)).unwrap();
        for file in 0..3 {
            let lines: String = (0..6_000i64)
                .filter(|i| i % 3 == file)
                .map(|i| format!("{i},k{},{}\n", i % 40, time(1_700_000_000_000 + i * 10 + offset)))
                .collect();
            dir.write(&format!("{side}/part-{file}.csv"), &lines);
        }
    }
    let table = |name: &str| {
        format!(
            "CREATE TABLE {name} (seq BIGINT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
               WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');\n",
            dir.0.join(name).display()
        )
    };
    let tables = format!("{}{}", table("l"), table("r"));
    let condition = "l.k = r.k AND r.ts BETWEEN l.ts - INTERVAL '2' SECOND AND l.ts";
    // Pairs: same key (i = j mod 40), r (3 ms after its slot) at most 2 s before l:
    // 10 j + 3 in [10 i - 2000, 10 i], so j in [i - 200, i - 1].
    let expected: Vec<String> = (0..6_000i64)
        .flat_map(|i| {
            ((i - 200).max(0)..i)
                .filter(move |j| (i - j) % 40 == 0)
                .map(move |j| format!("{i}, {j}"))
        })
        .collect();
    check(
        "interval join on event time",
        &format!("{tables}SELECT l.seq, r.seq FROM l, r WHERE {condition};"),
        expected,
    );
    let sink = "CREATE TABLE out (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');\n";
    let interval = state_left_after(&format!(
        "{tables}{sink}INSERT INTO out SELECT l.seq, r.seq FROM l, r WHERE {condition};"
    ));
    let regular = state_left_after(&format!(
        "{tables}{sink}INSERT INTO out SELECT l.seq, r.seq FROM l, r WHERE l.k = r.k AND l.seq - r.seq < 5;"
    ));
    assert_eq!(interval, 0, "every row left the state once both inputs ended");
    assert!(regular > 100_000, "a regular join keeps its rows: {regular} bytes");
}

#[test]
fn aggregations_over_outer_joins_take_rows_back() {
    let f = fixture("agg-over-join", 18);
    let customers = customers_by_key(&f.customers);
    let mut counts: BTreeMap<String, (i64, Option<i64>)> = BTreeMap::new();
    for e in f.events.iter().filter(|e| e.seq % 13 == 0) {
        let tiers: Vec<i64> = customers
            .get(e.k.as_str())
            .map(|cs| cs.iter().map(|c| c.tier).collect())
            .unwrap_or_default();
        let entry = counts.entry(e.k.clone()).or_default();
        if tiers.is_empty() {
            entry.0 += 1;
        } else {
            entry.0 += tiers.len() as i64;
            entry.1 = Some(entry.1.unwrap_or(0) + tiers.iter().sum::<i64>());
        }
    }
    let expected = counts
        .into_iter()
        .map(|(k, (rows, tiers))| format!("{k}, {rows}, {}", tiers.map_or("NULL".into(), |t| t.to_string())))
        .collect();
    check(
        "aggregate over left join",
        &format!(
            "{}SELECT e.k, COUNT(*), SUM(c.tier) FROM (SELECT * FROM events WHERE MOD(seq, 13) = 0) e
             LEFT JOIN customers c ON e.k = c.k GROUP BY e.k;",
            f.tables
        ),
        expected,
    );
}

/// Each key's events, best first by `better`.
fn ranked(events: &[Event], better: impl Fn(&Event, &Event) -> std::cmp::Ordering) -> BTreeMap<&str, Vec<&Event>> {
    let mut groups = by_key(events.iter());
    for es in groups.values_mut() {
        es.sort_by(|a, b| better(a, b));
    }
    groups
}

#[test]
fn top_n_keeps_the_best_rows_per_key() {
    let f = fixture("top-n", 19);
    let groups = ranked(&f.events, |a, b| b.v.cmp(&a.v));
    let with_rank = groups
        .iter()
        .flat_map(|(k, es)| {
            es.iter()
                .take(3)
                .enumerate()
                .map(move |(i, e)| format!("{k}, {}, {}", e.v, i + 1))
        })
        .collect();
    let retractions = check(
        "top 3 with rank",
        &format!(
            "{}SELECT k, v, rn FROM (SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM events)
             WHERE rn <= 3;",
            f.tables
        ),
        with_rank,
    );
    assert!(retractions > 0);
    let without_rank = groups
        .iter()
        .flat_map(|(k, es)| es.iter().take(2).map(move |e| format!("{k}, {}", e.seq)))
        .collect();
    check(
        "top 2 without rank",
        &format!(
            "{}SELECT k, seq FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM events)
             WHERE rn < 3;",
            f.tables
        ),
        without_rank,
    );
}

#[test]
fn deduplication_keeps_the_first_or_last_row() {
    let f = fixture("dedup", 20);
    let first = ranked(&f.events, |a, b| a.ts.cmp(&b.ts))
        .iter()
        .map(|(k, es)| format!("{k}, {}", es[0].seq))
        .collect();
    check(
        "keep first",
        &format!(
            "{}SELECT k, seq FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts ASC) AS rn FROM events)
             WHERE rn = 1;",
            f.tables
        ),
        first,
    );
    let last = ranked(&f.events, |a, b| b.ts.cmp(&a.ts))
        .iter()
        .map(|(k, es)| format!("{k}, {}, {}", es[0].seq, time(es[0].ts)))
        .collect();
    check(
        "keep last",
        &format!(
            "{}SELECT k, seq, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM events)
             WHERE rn = 1;",
            f.tables
        ),
        last,
    );
}

#[test]
fn a_limit_ends_the_query_after_its_rows() {
    let f = fixture("limit", 22);
    let lines = changelog(&format!("{}SELECT k FROM events LIMIT 3;", f.tables), 1).unwrap();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.starts_with("+I[")));
}

#[test]
fn unsupported_stateful_queries_name_their_construct() {
    let f = fixture("refused", 21);
    for (sql, construct) in [
        ("SELECT k FROM events ORDER BY v", "ORDER BY"),
        (
            "SELECT k, RANK() OVER (PARTITION BY k ORDER BY v) FROM events",
            "OVER windows",
        ),
        (
            "SELECT e.k FROM events e, customers c WHERE e.v > c.tier",
            "joins without an equality",
        ),
    ] {
        let error = changelog(&format!("{}{sql};", f.tables), 1).unwrap_err();
        assert!(
            matches!(error, EngineError::Unsupported { .. }) && error.to_string().contains(construct),
            "{sql}: {error}"
        );
    }
    // A temporal join needs versions (a PRIMARY KEY): joining every row would be a wrong answer.
    let sql = "SELECT e.k, c.tier FROM events AS e JOIN customers FOR SYSTEM_TIME AS OF e.ts AS c ON e.k = c.k";
    let error = changelog(&format!("{}{sql};", f.tables), 1).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`customers` as a versioned table, which needs a PRIMARY KEY"),
        "{error}"
    );
}

#[test]
fn a_scalar_subquery_naming_the_outer_query_is_refused() {
    let f = fixture("correlated", 23);
    let sql = "SELECT e.k FROM events AS e WHERE e.v > (SELECT AVG(x.v) FROM events AS x WHERE x.k = e.k)";
    let error = changelog(&format!("{}{sql};", f.tables), 1).unwrap_err();
    assert!(error.to_string().contains("e.k"), "{error}");
}
