//! Differential tests for event-time windows: each pipeline runs in the engine over a file of
//! generated events (out of order, some late) and is compared, row for row, with a reference
//! model written here from Flink's documented rules, independently of the engine's operators:
//! a row joins every window containing it that has not fired, judged against the watermark
//! before the row (the largest `ts - delay` seen so far); a window fires at `end - 1`; the end
//! of input fires the rest. Small hand-derived fixtures pin the rules themselves.

mod common;

use std::collections::BTreeMap;

use common::{Dir, query, run, ts};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

#[derive(Debug, Clone)]
struct Event {
    seq: i64,
    k: String,
    v: i64,
    ts: i64,
}

const DELAY: i64 = 2_000;

/// Events about 100 ms apart over a few minutes; one in ten arrives up to 3 s late (some of
/// them behind the 2 s watermark delay) and one in thirty up to 15 s late.
fn events(seed: u64, n: i64) -> Vec<Event> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut now = 1_000_000i64;
    (0..n)
        .map(|seq| {
            now += rng.random_range(0..200);
            let roll = rng.random_range(0..30);
            let ts = match roll {
                0 => now - rng.random_range(3_000..15_000),
                1..=3 => now - rng.random_range(0..3_000),
                _ => now,
            };
            Event {
                seq,
                k: format!("k{}", rng.random_range(0..4)),
                v: rng.random_range(0..100),
                ts,
            }
        })
        .collect()
}

fn csv_line(e: &Event) -> String {
    format!("{},{},{},{}\n", e.seq, e.k, e.v, ts(e.ts).replace('T', " "))
}

fn source_sql(path: &str) -> String {
    format!(
        "CREATE TABLE events (seq BIGINT, k STRING, v BIGINT, ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv');\n"
    )
}

type Windows = fn(i64) -> Vec<(i64, i64)>;

fn tumble_10s(t: i64) -> Vec<(i64, i64)> {
    let start = t - t.rem_euclid(10_000);
    vec![(start, start + 10_000)]
}

fn hop_5s_15s(t: i64) -> Vec<(i64, i64)> {
    let last = t - t.rem_euclid(5_000);
    [last - 10_000, last - 5_000, last]
        .into_iter()
        .map(|s| (s, s + 15_000))
        .collect()
}

fn cumulate_5s_20s(t: i64) -> Vec<(i64, i64)> {
    let start = t - t.rem_euclid(20_000);
    (1..=4)
        .map(|i| (start, start + i * 5_000))
        .filter(|(_, end)| *end > t)
        .collect()
}

/// Each (window start, window end, key)'s accepted events.
type Accepted = BTreeMap<(i64, i64, String), Vec<Event>>;

/// The reference model: each (window, key)'s accepted events, and how many events were
/// dropped entirely.
fn reference(events: &[Event], windows: Windows, keep: impl Fn(&Event) -> bool) -> (Accepted, u64) {
    let mut out = Accepted::new();
    let mut watermark: Option<i64> = None;
    let mut dropped = 0;
    for e in events {
        let mut accepted = false;
        for (start, end) in windows(e.ts) {
            if watermark.is_none_or(|w| end - 1 > w) {
                accepted = true;
                if keep(e) {
                    out.entry((start, end, e.k.clone())).or_default().push(e.clone());
                }
            }
        }
        dropped += u64::from(!accepted);
        watermark = Some(watermark.map_or(e.ts - DELAY, |w| w.max(e.ts - DELAY)));
    }
    (out, dropped)
}

/// The model's rows as the engine prints them, sorted: window start, end, key, `COUNT(*)`,
/// `SUM(v)`, and with `min_max` also `MIN(v)`, `MAX(v)`.
fn expected_rows(model: &Accepted, min_max: bool) -> Vec<String> {
    let mut rows: Vec<String> = model
        .iter()
        .map(|((start, end, k), es)| {
            let values: Vec<i64> = es.iter().map(|e| e.v).collect();
            let mut row = format!(
                "{} | {} | {k} | {} | {}",
                ts(*start),
                ts(*end),
                values.len(),
                values.iter().sum::<i64>()
            );
            if min_max {
                let (min, max) = (values.iter().min().unwrap(), values.iter().max().unwrap());
                row.push_str(&format!(" | {min} | {max}"));
            }
            row
        })
        .collect();
    rows.sort();
    rows
}

struct Fixture {
    _dir: Dir,
    events: Vec<Event>,
    source: String,
}

fn fixture(name: &str, seed: u64) -> Fixture {
    let dir = Dir::new(name);
    let events = events(seed, 3_000);
    let path = dir.write("events.csv", &events.iter().map(csv_line).collect::<String>());
    Fixture {
        source: source_sql(&path),
        _dir: dir,
        events,
    }
}

fn window_sql(function: &str) -> String {
    format!(
        "TABLE({function}(TABLE events, DESCRIPTOR(ts), {}))",
        match function {
            "TUMBLE" => "INTERVAL '10' SECOND",
            "HOP" => "INTERVAL '5' SECOND, INTERVAL '15' SECOND",
            _ => "INTERVAL '5' SECOND, INTERVAL '20' SECOND",
        }
    )
}

fn check_count_sum_min_max(function: &str, windows: Windows, seed: u64) {
    let f = fixture(&format!("{function}-agg"), seed);
    let rows = query(&format!(
        "{}SELECT window_start, window_end, k, COUNT(*), SUM(v), MIN(v), MAX(v)
         FROM {} GROUP BY window_start, window_end, k;",
        f.source,
        window_sql(function)
    ))
    .unwrap();
    let (model, dropped) = reference(&f.events, windows, |_| true);
    let expected = expected_rows(&model, true);
    assert!(dropped > 0, "the fixture has late events");
    assert_eq!(rows.len(), expected.len(), "{function}: window rows");
    assert_eq!(rows, expected, "{function}");

    // Rows the windows took in: a TUMBLE window's rows once each; HOP and CUMULATE are
    // aggregated by slices (as Flink does), each accepted row once, in its slice.
    let windowed: u64 = if function == "TUMBLE" {
        rows.iter()
            .map(|row| row.split(" | ").nth(3).unwrap().parse::<u64>().unwrap())
            .sum()
    } else {
        f.events.len() as u64 - dropped
    };
    for parallelism in [1, 3] {
        let outcomes = common::run_with_operators(
            &format!(
                "{}CREATE TABLE out (ws TIMESTAMP(3), we TIMESTAMP(3), k STRING, c BIGINT) WITH ('connector' = 'blackhole');
                 INSERT INTO out SELECT window_start, window_end, k, COUNT(*) FROM {} GROUP BY window_start, window_end, k;",
                f.source,
                window_sql(function)
            ),
            parallelism,
        )
        .unwrap();
        let (outcome, operators) = &outcomes[0];
        assert_eq!(outcome.late_records_dropped, dropped, "{function}: late records");
        assert_eq!(outcome.rows_out, expected.len() as u64);
        assert_eq!(operators.len(), 1, "{operators:?}");
        let window = &operators[0];
        assert_eq!(window.name, "WindowAggregate");
        assert_eq!(
            window.records_in, windowed,
            "{function}, parallelism {parallelism}: rows into the windows"
        );
        assert_eq!(
            window.records_out, outcome.rows_out,
            "{function}, parallelism {parallelism}"
        );
        assert_eq!(window.state_bytes, 0, "every window fired and let go of its state");
    }
}

#[test]
fn tumbling_windows_match_the_reference() {
    check_count_sum_min_max("TUMBLE", tumble_10s, 1);
}

#[test]
fn hopping_windows_match_the_reference() {
    check_count_sum_min_max("HOP", hop_5s_15s, 2);
}

#[test]
fn cumulating_windows_match_the_reference() {
    check_count_sum_min_max("CUMULATE", cumulate_5s_20s, 3);
}

#[test]
fn where_and_having_filter_before_and_after_the_window() {
    let f = fixture("having", 4);
    let rows = query(&format!(
        "{}SELECT window_start, k, COUNT(*) AS c FROM {} WHERE v >= 30
         GROUP BY window_start, window_end, k HAVING COUNT(*) > 10;",
        f.source,
        window_sql("TUMBLE")
    ))
    .unwrap();
    let (model, _) = reference(&f.events, tumble_10s, |e| e.v >= 30);
    let mut expected: Vec<String> = model
        .iter()
        .filter(|(_, es)| es.len() > 10)
        .map(|((start, _, k), es)| format!("{} | {k} | {}", ts(*start), es.len()))
        .collect();
    expected.sort();
    assert!(
        !expected.is_empty() && expected.len() < model.len(),
        "HAVING keeps some"
    );
    assert_eq!(rows, expected);
}

#[test]
fn distinct_counts_and_windows_without_keys() {
    let f = fixture("distinct", 5);
    let rows = query(&format!(
        "{}SELECT window_start, COUNT(DISTINCT k), COUNT(DISTINCT MOD(v, 7)), COUNT(*)
         FROM {} GROUP BY window_start, window_end;",
        f.source,
        window_sql("TUMBLE")
    ))
    .unwrap();
    let (model, _) = reference(&f.events, tumble_10s, |_| true);
    let mut per_window: BTreeMap<i64, Vec<&Event>> = BTreeMap::new();
    for ((start, _, _), es) in &model {
        per_window.entry(*start).or_default().extend(es);
    }
    let mut expected: Vec<String> = per_window
        .iter()
        .map(|(start, es)| {
            let keys: std::collections::BTreeSet<_> = es.iter().map(|e| &e.k).collect();
            let mods: std::collections::BTreeSet<_> = es.iter().map(|e| e.v % 7).collect();
            format!("{} | {} | {} | {}", ts(*start), keys.len(), mods.len(), es.len())
        })
        .collect();
    expected.sort();
    assert_eq!(rows, expected);
}

#[test]
fn a_window_function_alone_tags_rows_and_drops_late_ones() {
    let f = fixture("rows", 6);
    let rows = query(&format!(
        "{}SELECT seq, window_start, window_end, window_time FROM {};",
        f.source,
        window_sql("HOP")
    ))
    .unwrap();
    let (model, _) = reference(&f.events, hop_5s_15s, |_| true);
    let mut expected: Vec<String> = model
        .iter()
        .flat_map(|((start, end, _), es)| {
            es.iter()
                .map(move |e| format!("{} | {} | {} | {}", e.seq, ts(*start), ts(*end), ts(*end - 1)))
        })
        .collect();
    expected.sort();
    assert_eq!(rows, expected);
}

#[test]
fn the_slowest_file_holds_the_watermark() {
    // Two files, two partitions, each in order: whatever the interleaving, nothing is late,
    // because the watermark is the minimum over partitions.
    let dir = Dir::new("partitions");
    let mut a = String::new();
    let mut b = String::new();
    for i in 0..2_000i64 {
        a.push_str(&format!("{i},a,1,{}\n", ts(i * 50).replace('T', " ")));
        if i < 200 {
            b.push_str(&format!("{i},b,1,{}\n", ts(i * 500).replace('T', " ")));
        }
    }
    dir.write("a.csv", &a);
    dir.write("b.csv", &b);
    let outcome = run(
        &format!(
            "{}CREATE TABLE out (k STRING, c BIGINT) WITH ('connector' = 'blackhole');
             INSERT INTO out SELECT k, COUNT(*) FROM {} GROUP BY window_start, window_end, k;",
            source_sql(&dir.0.display().to_string()),
            window_sql("TUMBLE")
        ),
        1,
    )
    .unwrap();
    assert_eq!(outcome[0].late_records_dropped, 0);
    // a: 100 s of rows in 10 windows; b: 100 s in 10 windows.
    assert_eq!(outcome[0].rows_out, 20);
}

/// Hand-derived from Flink's rules, delay 0: `[0, 10 s)` fires at 12 s, so the row at 3 s
/// that follows is late and dropped.
#[test]
fn tumble_drops_a_row_whose_window_fired() {
    let dir = Dir::new("hand-tumble");
    let path = dir.write(
        "e.csv",
        "1,a,1,1970-01-01 00:00:01\n2,a,1,1970-01-01 00:00:05\n3,a,1,1970-01-01 00:00:12\n\
         4,a,1,1970-01-01 00:00:03\n5,b,1,1970-01-01 00:00:15\n",
    );
    let rows = query(&format!(
        "CREATE TABLE e (seq BIGINT, k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
           WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv');
         SELECT window_start, window_end, k, COUNT(*) FROM TABLE(TUMBLE(TABLE e, DESCRIPTOR(ts), INTERVAL '10' SECOND))
         GROUP BY window_start, window_end, k;"
    ))
    .unwrap();
    assert_eq!(
        rows,
        [
            "1970-01-01T00:00:00 | 1970-01-01T00:00:10 | a | 2",
            "1970-01-01T00:00:10 | 1970-01-01T00:00:20 | a | 1",
            "1970-01-01T00:00:10 | 1970-01-01T00:00:20 | b | 1",
        ]
    );
}

/// Hand-derived, delay 0: after the row at 12 s, `[-5, 5)` and `[0, 10)` have fired; the row
/// at 8 s still joins `[5, 15)`, the one window containing it that has not.
#[test]
fn hop_adds_a_late_row_to_the_windows_still_open() {
    let dir = Dir::new("hand-hop");
    let path = dir.write(
        "e.csv",
        "1,a,1,1970-01-01 00:00:01\n2,a,1,1970-01-01 00:00:12\n3,a,1,1970-01-01 00:00:08\n",
    );
    let rows = query(&format!(
        "CREATE TABLE e (seq BIGINT, k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
           WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv');
         SELECT window_start, window_end, COUNT(*) FROM TABLE(HOP(TABLE e, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
         GROUP BY window_start, window_end;"
    ))
    .unwrap();
    assert_eq!(
        rows,
        [
            "1969-12-31T23:59:55 | 1970-01-01T00:00:05 | 1",
            "1970-01-01T00:00:00 | 1970-01-01T00:00:10 | 1",
            "1970-01-01T00:00:05 | 1970-01-01T00:00:15 | 2",
            "1970-01-01T00:00:10 | 1970-01-01T00:00:20 | 1",
        ]
    );
}

#[test]
fn legacy_group_windows_are_the_window_functions() {
    let f = fixture("legacy", 8);
    let rows = query(&format!(
        "{}SELECT TUMBLE_START(ts, INTERVAL '10' SECOND), TUMBLE_END(ts, INTERVAL '10' SECOND), k, COUNT(*), SUM(v), MIN(v), MAX(v)
         FROM events GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;",
        f.source
    ))
    .unwrap();
    let (model, _) = reference(&f.events, tumble_10s, |_| true);
    let expected = expected_rows(&model, true);
    assert_eq!(rows, expected);
}

/// The reference model of SESSION windows, per key: a row's `[ts, ts + gap)` merges with the
/// key's sessions the watermark has not passed; the row is dropped if the merged session ends
/// at or before the watermark; sessions fire when the watermark reaches their end - 1.
/// A fired session: start, end, key, row count, sum of `v`.
type FiredSession = (i64, i64, String, usize, i64);
/// Per key, the open sessions: start, end, the values of their rows.
type OpenSessions = BTreeMap<String, Vec<(i64, i64, Vec<i64>)>>;

fn sessions_reference(events: &[Event], gap: i64) -> (Vec<FiredSession>, u64) {
    let mut open = OpenSessions::new();
    let mut fired = Vec::new();
    let mut watermark = i64::MIN;
    let mut dropped = 0;
    let fire = |open: &mut OpenSessions, fired: &mut Vec<FiredSession>, watermark: i64| {
        for (k, sessions) in open.iter_mut() {
            sessions.retain(|(start, end, values): &(i64, i64, Vec<i64>)| {
                if end - 1 <= watermark {
                    fired.push((*start, *end, k.clone(), values.len(), values.iter().sum::<i64>()));
                    false
                } else {
                    true
                }
            });
        }
    };
    for e in events {
        let sessions = open.entry(e.k.clone()).or_default();
        let (mut start, mut end, mut values) = (e.ts, e.ts + gap, vec![e.v]);
        let mut rest = Vec::new();
        let mut merged = Vec::new();
        for s in sessions.drain(..) {
            if s.0 < end && start < s.1 {
                start = start.min(s.0);
                end = end.max(s.1);
                merged.push(s);
            } else {
                rest.push(s);
            }
        }
        if end - 1 <= watermark {
            dropped += 1;
            rest.extend(merged);
        } else {
            for s in merged {
                values.extend(s.2);
            }
            rest.push((start, end, values));
        }
        *sessions = rest;
        watermark = watermark.max(e.ts - DELAY);
        fire(&mut open, &mut fired, watermark);
    }
    fire(&mut open, &mut fired, i64::MAX);
    (fired, dropped)
}

fn check_sessions(sql_window: &str, group_by: &str, seed: u64) {
    // Sparse events (about 1 s apart per key) so that sessions with a 1.5 s gap both merge and
    // break.
    let dir = Dir::new(&format!("session-{seed}"));
    let mut events = events(seed, 3_000);
    for (i, e) in events.iter_mut().enumerate() {
        e.ts = e.ts * 3 + i as i64 % 7;
    }
    let path = dir.write("events.csv", &events.iter().map(csv_line).collect::<String>());
    let rows = query(&format!(
        "{}SELECT window_start, window_end, k, COUNT(*), SUM(v) FROM {sql_window} GROUP BY {group_by};",
        source_sql(&path)
    ))
    .unwrap();
    let (fired, dropped) = sessions_reference(&events, 1_500);
    let mut expected: Vec<String> = fired
        .iter()
        .map(|(start, end, k, count, sum)| format!("{} | {} | {k} | {count} | {sum}", ts(*start), ts(*end)))
        .collect();
    expected.sort();
    assert!(dropped > 0, "the fixture has late rows");
    assert!(expected.len() > 100, "sessions break often: {}", expected.len());
    assert_eq!(rows.len(), expected.len());
    assert_eq!(rows, expected);
}

#[test]
fn session_windows_match_the_reference() {
    check_sessions(
        "TABLE(SESSION(TABLE events PARTITION BY k, DESCRIPTOR(ts), INTERVAL '1.5' SECOND))",
        "window_start, window_end, k",
        9,
    );
}

#[test]
fn legacy_session_windows_partition_by_the_grouping_keys() {
    let dir = Dir::new("legacy-session");
    let mut events = events(10, 3_000);
    for (i, e) in events.iter_mut().enumerate() {
        e.ts = e.ts * 3 + i as i64 % 7;
    }
    let path = dir.write("events.csv", &events.iter().map(csv_line).collect::<String>());
    let rows = query(&format!(
        "{}SELECT SESSION_START(ts, INTERVAL '1.5' SECOND), SESSION_END(ts, INTERVAL '1.5' SECOND), k, COUNT(*), SUM(v)
         FROM events GROUP BY SESSION(ts, INTERVAL '1.5' SECOND), k;",
        source_sql(&path)
    ))
    .unwrap();
    let (fired, _) = sessions_reference(&events, 1_500);
    let mut expected: Vec<String> = fired
        .iter()
        .map(|(start, end, k, count, sum)| format!("{} | {} | {k} | {count} | {sum}", ts(*start), ts(*end)))
        .collect();
    expected.sort();
    assert_eq!(rows, expected);
}

fn tumble_10s_offset_3s(t: i64) -> Vec<(i64, i64)> {
    let start = t - (t - 3_000).rem_euclid(10_000);
    vec![(start, start + 10_000)]
}

/// One query over the fixture, per window and key: `COUNT(*)` and `SUM(v)` of the rows `keep`
/// lets through, compared with the reference model.
fn check_count_sum(name: &str, seed: u64, window: &str, filter: &str, windows: Windows, keep: fn(&Event) -> bool) {
    let f = fixture(name, seed);
    let rows = query(&format!(
        "{}SELECT window_start, window_end, k, COUNT(*), SUM(v) FROM {window} {filter}
         GROUP BY window_start, window_end, k;",
        f.source
    ))
    .unwrap();
    let (model, _) = reference(&f.events, windows, keep);
    let expected = expected_rows(&model, false);
    assert_eq!(rows, expected, "{name}");
}

#[test]
fn tumbling_windows_with_an_offset() {
    check_count_sum(
        "offset",
        11,
        "TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '3' SECOND))",
        "",
        tumble_10s_offset_3s,
        |_| true,
    );
}

#[test]
fn hopping_windows_after_a_filter() {
    check_count_sum(
        "hop-filter",
        12,
        "TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND))",
        "WHERE v < 50 AND k <> 'k0'",
        hop_5s_15s,
        |e| e.v < 50 && e.k != "k0",
    );
}

#[test]
fn cumulating_windows_after_a_filter() {
    check_count_sum(
        "cumulate-filter",
        13,
        "TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND))",
        "WHERE MOD(v, 3) = 0",
        cumulate_5s_20s,
        |e| e.v % 3 == 0,
    );
}

#[test]
fn window_time_groups_like_the_window() {
    let f = fixture("window-time", 14);
    let rows = query(&format!(
        "{}SELECT window_time, k, COUNT(*) FROM {} GROUP BY window_start, window_end, window_time, k;",
        f.source,
        window_sql("TUMBLE")
    ))
    .unwrap();
    let (model, _) = reference(&f.events, tumble_10s, |_| true);
    let mut expected: Vec<String> = model
        .iter()
        .map(|((_, end, k), es)| format!("{} | {k} | {}", ts(end - 1), es.len()))
        .collect();
    expected.sort();
    assert_eq!(rows, expected);
}

#[test]
fn json_files_window_like_csv_files() {
    let dir = Dir::new("json");
    let events = events(15, 3_000);
    let lines: String = events
        .iter()
        .map(|e| {
            format!(
                "{{\"seq\": {}, \"k\": \"{}\", \"v\": {}, \"ts\": \"{}\"}}\n",
                e.seq,
                e.k,
                e.v,
                ts(e.ts).replace('T', " ")
            )
        })
        .collect();
    let path = dir.write("events.json", &lines);
    let rows = query(&format!(
        "CREATE TABLE events (seq BIGINT, k STRING, v BIGINT, ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'json');
         SELECT window_start, window_end, k, COUNT(*), SUM(v) FROM {} GROUP BY window_start, window_end, k;",
        window_sql("TUMBLE")
    ))
    .unwrap();
    let (model, _) = reference(&events, tumble_10s, |_| true);
    let expected = expected_rows(&model, false);
    assert_eq!(rows, expected);
}

#[test]
fn a_windowed_view_read_twice_is_refused() {
    let f = fixture("window-twice", 31);
    let error = query(&format!(
        "{}CREATE TEMPORARY VIEW w AS SELECT window_start, window_end, k, COUNT(*) AS c
         FROM {} GROUP BY window_start, window_end, k;
         SELECT a.k, a.c, b.c FROM w AS a JOIN w AS b
           ON a.window_start = b.window_start AND a.window_end = b.window_end AND a.k = b.k;",
        f.source,
        window_sql("TUMBLE")
    ))
    .unwrap_err();
    assert!(error.to_string().contains("read twice"), "{error}");
}

#[test]
fn a_window_over_an_aggregating_view_reads_only_its_window_time() {
    let f = fixture("window-cascade-column", 32);
    let error = query(&format!(
        "{}CREATE TEMPORARY VIEW w AS SELECT window_start AS s, window_time, k, COUNT(*) AS c
         FROM {} GROUP BY window_start, window_end, window_time, k;
         SELECT window_start, SUM(c) FROM TABLE(TUMBLE(TABLE w, DESCRIPTOR(s), INTERVAL '1' MINUTE))
         GROUP BY window_start, window_end;",
        f.source,
        window_sql("TUMBLE")
    ))
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("not the `window_time` of the view's own window"),
        "{error}"
    );
}

#[test]
fn a_window_over_a_grouped_view_without_windows_is_refused() {
    let f = fixture("window-cascade-updating", 33);
    let error = query(&format!(
        "{}CREATE TEMPORARY VIEW w AS SELECT k, MAX(ts) AS window_time, COUNT(*) AS c FROM events GROUP BY k;
         SELECT window_start, SUM(c) FROM TABLE(TUMBLE(TABLE w, DESCRIPTOR(window_time), INTERVAL '1' MINUTE))
         GROUP BY window_start, window_end;",
        f.source
    ))
    .unwrap_err();
    // Its `window_time` is computed (and its rows update): not a window's time attribute.
    assert!(
        error
            .to_string()
            .contains("not the `window_time` of the view's own window"),
        "{error}"
    );
}

#[test]
fn a_floating_point_sum_over_cascading_windows_is_refused() {
    let f = fixture("window-cascade-double", 34);
    let error = query(&format!(
        "{}CREATE TEMPORARY VIEW w AS SELECT window_time, k, AVG(CAST(v AS DOUBLE)) AS a
         FROM {} GROUP BY window_start, window_end, window_time, k;
         SELECT window_start, SUM(a) FROM TABLE(TUMBLE(TABLE w, DESCRIPTOR(window_time), INTERVAL '1' MINUTE))
         GROUP BY window_start, window_end;",
        f.source,
        window_sql("TUMBLE")
    ))
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("floating-point value over a window of a view's windows"),
        "{error}"
    );
}
