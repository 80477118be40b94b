//! Differential pipelines through `pipegen run`: the load generator's records (fixed seed)
//! go through the embedded log into the engine, where several INSERTs run side by side:
//! one prints the input as it arrived, the others print their changelogs (Flink's `print`
//! connector, each with its `print-identifier`). The expected results are computed here from
//! the printed input, independently of the engine, and compared with the folded changelogs.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Scratch;

const PIPELINES: &str = "
CREATE TABLE labels (category STRING, label STRING)
  WITH ('connector' = 'filesystem', 'path' = '${PROJECT_DIR}/labels.csv', 'format' = 'csv');
CREATE TABLE input_rows (order_id STRING, customer_id BIGINT, category STRING, quantity INT)
  WITH ('connector' = 'print', 'print-identifier' = 'input');
CREATE TABLE per_category (category STRING, orders BIGINT, items INT, smallest INT)
  WITH ('connector' = 'print', 'print-identifier' = 'per_category');
CREATE TABLE top2 (category STRING, order_id STRING, rn BIGINT)
  WITH ('connector' = 'print', 'print-identifier' = 'top2');
CREATE TABLE labelled (order_id STRING, label STRING)
  WITH ('connector' = 'print', 'print-identifier' = 'labelled');
CREATE TABLE big_buyers (quantity INT)
  WITH ('connector' = 'print', 'print-identifier' = 'big_buyers');
CREATE TABLE small_orders (order_id STRING)
  WITH ('connector' = 'print', 'print-identifier' = 'small_orders');
INSERT INTO input_rows SELECT order_id, customer_id, category, quantity FROM orders;
INSERT INTO per_category SELECT category, COUNT(*), SUM(quantity), MIN(quantity) FROM orders GROUP BY category;
INSERT INTO top2 SELECT category, order_id, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY category ORDER BY order_id DESC) AS rn FROM orders
) WHERE rn <= 2;
INSERT INTO labelled SELECT o.order_id, l.label FROM orders o JOIN labels l ON o.category = l.category;
INSERT INTO big_buyers SELECT DISTINCT quantity FROM orders WHERE quantity > 3;
INSERT INTO small_orders SELECT order_id FROM orders WHERE quantity <= 2;
";

/// Each print identifier's rows, folded from its changelog (a retraction of a row that is not
/// there fails the test).
fn fold(stdout: &str) -> BTreeMap<String, Vec<String>> {
    let mut tables: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for line in stdout.lines() {
        let Some((identifier, change)) = line.split_once("> ") else {
            continue;
        };
        let (kind, row) = change.split_at(2);
        let row = row.trim_start_matches('[').trim_end_matches(']').to_string();
        let table = tables.entry(identifier.to_string()).or_default();
        match kind {
            "+I" | "+U" => *table.entry(row).or_default() += 1,
            "-U" | "-D" => {
                let n = table
                    .get_mut(&row)
                    .unwrap_or_else(|| panic!("`{line}` takes back a row that is not there"));
                *n -= 1;
                if *n == 0 {
                    table.remove(&row);
                }
            }
            _ => panic!("not a changelog line: {line}"),
        }
    }
    tables
        .into_iter()
        .map(|(id, rows)| {
            let rows = rows.into_iter().flat_map(|(r, n)| std::iter::repeat_n(r, n)).collect();
            (id, rows)
        })
        .collect()
}

struct Order {
    order_id: String,
    category: String,
    quantity: i64,
}

#[test]
fn aggregations_top_n_joins_and_distinct_match_their_input() {
    let s = Scratch::new();
    s.run(&["init", "shop"]).expect(0);
    std::fs::remove_file(s.path().join("shop/sql/02_sink.sql")).unwrap();
    s.write("shop/sql/03_pipeline.sql", PIPELINES);
    s.write("shop/labels.csv", "BOOKS,paper\nTOYS,fun\nTOYS,kids\n");
    let out = s
        .run(&[
            "--project-dir",
            "shop",
            "run",
            "--messages",
            "3000",
            "--message-rate",
            "1500",
            "--seed",
            "9",
        ])
        .expect(0);
    let mut tables = fold(&out.stdout);

    let input: Vec<Order> = tables
        .remove("input")
        .expect("the input was printed")
        .iter()
        .map(|row| {
            let fields: Vec<&str> = row.split(", ").collect();
            Order {
                order_id: fields[0].to_string(),
                category: fields[2].to_string(),
                quantity: fields[3].parse().unwrap(),
            }
        })
        .collect();
    assert_eq!(input.len(), 3000, "every produced record reached the engine");

    let mut per_category: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for o in &input {
        let entry = per_category.entry(&o.category).or_insert((0, 0, i64::MAX));
        entry.0 += 1;
        entry.1 += o.quantity;
        entry.2 = entry.2.min(o.quantity);
    }
    let expected: Vec<String> = per_category
        .iter()
        .map(|(c, (n, items, smallest))| format!("{c}, {n}, {items}, {smallest}"))
        .collect();
    assert_eq!(tables["per_category"], expected, "GROUP BY");

    let mut by_category: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for o in &input {
        by_category.entry(&o.category).or_default().push(&o.order_id);
    }
    let mut expected: Vec<String> = by_category
        .iter_mut()
        .flat_map(|(c, ids)| {
            ids.sort_unstable_by(|a, b| b.cmp(a));
            ids.iter()
                .take(2)
                .enumerate()
                .map(|(i, id)| format!("{c}, {id}, {}", i + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    expected.sort();
    assert_eq!(tables["top2"], expected, "Top-N");

    let labels = [("BOOKS", "paper"), ("TOYS", "fun"), ("TOYS", "kids")];
    let mut expected: Vec<String> = input
        .iter()
        .flat_map(|o| {
            labels
                .iter()
                .filter(|(c, _)| *c == o.category)
                .map(|(_, l)| format!("{}, {l}", o.order_id))
        })
        .collect();
    expected.sort();
    assert_eq!(tables["labelled"], expected, "join");

    // Rows compare as text, as the folded changelog orders them.
    let expected: Vec<String> = input
        .iter()
        .filter(|o| o.quantity > 3)
        .map(|o| o.quantity.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(tables["big_buyers"], expected, "DISTINCT");

    // A filter passes rows on as they arrive (it does not wait for a full batch).
    let mut expected: Vec<String> = input
        .iter()
        .filter(|o| o.quantity <= 2)
        .map(|o| o.order_id.clone())
        .collect();
    expected.sort();
    assert_eq!(tables["small_orders"], expected, "filter");
}

#[test]
fn windows_count_every_record_once_at_parallelism_one_and_two() {
    for parallelism in ["1", "2"] {
        let s = Scratch::new();
        s.run(&["init", "shop"]).expect(0);
        s.edit("shop/sql/01_source.sql", "INTERVAL '5' SECOND", "INTERVAL '1' SECOND");
        std::fs::remove_file(s.path().join("shop/sql/02_sink.sql")).unwrap();
        s.write(
            "shop/sql/03_pipeline.sql",
            "CREATE TABLE input_seconds (second STRING, category STRING)
               WITH ('connector' = 'print', 'print-identifier' = 'input');
             CREATE TABLE per_second (second STRING, category STRING, orders BIGINT)
               WITH ('connector' = 'print', 'print-identifier' = 'per_second');
             INSERT INTO input_seconds SELECT DATE_FORMAT(event_time, 'yyyy-MM-dd HH:mm:ss'), category FROM orders;
             INSERT INTO per_second
             SELECT DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss'), category, COUNT(*)
             FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(event_time), INTERVAL '1' SECOND))
             GROUP BY window_start, window_end, category;\n",
        );
        let out = s
            .run_with_env(
                &[
                    "--project-dir",
                    "shop",
                    "run",
                    "--duration",
                    "5s",
                    "--message-rate",
                    "1000",
                    "--seed",
                    "4",
                ],
                &[("PIPEGEN_FLINK__PARALLELISM", parallelism)],
            )
            .expect(0);
        let tables = fold(&out.stdout);
        let mut produced: BTreeMap<(String, String), u64> = BTreeMap::new();
        for row in &tables["input"] {
            let (second, category) = row.split_once(", ").unwrap();
            *produced.entry((second.to_string(), category.to_string())).or_default() += 1;
        }
        assert_eq!(
            produced.values().sum::<u64>(),
            5000,
            "parallelism {parallelism}: every record reached the engine"
        );
        let fired: BTreeMap<(String, String), u64> = tables["per_second"]
            .iter()
            .map(|row| {
                let fields: Vec<&str> = row.split(", ").collect();
                (
                    (fields[0].to_string(), fields[1].to_string()),
                    fields[2].parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            fired.len(),
            tables["per_second"].len(),
            "parallelism {parallelism}: each window fired once"
        );
        assert!(fired.len() >= 3, "parallelism {parallelism}: windows fired: {fired:?}");
        let last_fired = fired.keys().map(|(second, _)| second.clone()).max().unwrap();
        for (window, count) in &produced {
            if window.0 <= last_fired {
                assert_eq!(
                    fired.get(window),
                    Some(count),
                    "parallelism {parallelism}: window {window:?} counts each of its records once"
                );
            }
        }
        for window in fired.keys() {
            assert!(
                produced.contains_key(window),
                "a window of records that were never produced: {window:?}"
            );
        }
    }
}
