//! MATCH_RECOGNIZE constructs the engine does not run are refused before the run, naming
//! them (the results of those it runs are checked against Flink's in the conformance corpus).

mod common;

use common::{Dir, query};

fn ticks(dir: &Dir) -> String {
    let path = dir.write(
        "ticks.csv",
        "A,10.00,5,2024-03-01 12:00:01.000\nA,9.00,5,2024-03-01 12:00:02.000\nA,11.00,5,2024-03-01 12:00:03.000\n",
    );
    format!(
        "CREATE TABLE ticks (symbol STRING, price DECIMAL(10, 2), volume INT, ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv');\n"
    )
}

fn refusal(clause: &str) -> String {
    // A directory of its own per clause: the tests run in parallel.
    let name = format!(
        "match-refused-{:x}",
        clause.len() * 31 + clause.bytes().map(usize::from).sum::<usize>()
    );
    let dir = Dir::new(&name);
    let sql = format!("{}SELECT * FROM ticks MATCH_RECOGNIZE ({clause});", ticks(&dir));
    query(&sql).unwrap_err().to_string()
}

#[test]
fn alternation_is_refused_naming_it() {
    let error = refusal("PARTITION BY symbol ORDER BY ts MEASURES A.ts AS a PATTERN (A | B) DEFINE B AS B.price > 1");
    assert!(error.contains("`A | B`"), "{error}");
}

#[test]
fn all_rows_per_match_is_refused() {
    let error = refusal(
        "PARTITION BY symbol ORDER BY ts MEASURES A.ts AS a ALL ROWS PER MATCH PATTERN (A B) \
         DEFINE B AS B.price > A.price",
    );
    assert!(error.contains("ALL ROWS PER MATCH"), "{error}");
}

#[test]
fn skip_to_a_variable_is_refused() {
    let error = refusal(
        "PARTITION BY symbol ORDER BY ts MEASURES A.ts AS a AFTER MATCH SKIP TO LAST B PATTERN (A B+ C) \
         DEFINE B AS B.price < A.price, C AS C.price > A.price",
    );
    assert!(error.contains("SKIP TO LAST"), "{error}");
}

#[test]
fn an_order_other_than_the_rowtime_is_refused() {
    let error =
        refusal("PARTITION BY symbol ORDER BY price MEASURES A.ts AS a PATTERN (A B) DEFINE B AS B.price > A.price");
    assert!(
        error.contains("ORDER BY must name `ticks`'s event-time column"),
        "{error}"
    );
}

#[test]
fn an_optional_variable_after_a_greedy_one_is_refused_as_flink_refuses_it() {
    let error = refusal(
        "PARTITION BY symbol ORDER BY ts MEASURES A.ts AS a PATTERN (A B+ C? D) \
         DEFINE B AS B.price < A.price, D AS D.price > A.price",
    );
    assert!(
        error.contains("optional variable cannot follow a greedy quantifier"),
        "{error}"
    );
}

#[test]
fn a_pattern_ending_in_a_quantifier_is_refused() {
    let error =
        refusal("PARTITION BY symbol ORDER BY ts MEASURES A.ts AS a PATTERN (A B+) DEFINE B AS B.price < A.price");
    assert!(error.contains("ending in a quantified variable"), "{error}");
}

#[test]
fn prev_is_refused_as_flink_refuses_it() {
    let error =
        refusal("PARTITION BY symbol ORDER BY ts MEASURES A.ts AS a PATTERN (A B) DEFINE B AS B.price > PREV(B.price)");
    assert!(error.contains("physical offsets"), "{error}");
}

#[test]
fn a_define_of_an_unknown_variable_is_an_error() {
    let error = refusal("PARTITION BY symbol ORDER BY ts MEASURES A.ts AS a PATTERN (A B) DEFINE Z AS Z.price > 1");
    assert!(error.contains("`Z`"), "{error}");
}

#[test]
fn a_measure_of_an_unknown_column_is_an_error() {
    let error =
        refusal("PARTITION BY symbol ORDER BY ts MEASURES A.cost AS a PATTERN (A B) DEFINE B AS B.price > A.price");
    assert!(error.contains("`cost`"), "{error}");
}
