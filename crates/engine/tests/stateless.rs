//! Stateless pipelines from datagen, through the engine, checked against what the input
//! implies (sequence columns make the expected results exact).

mod common;

use common::run;
use pipegen_engine::{EngineError, InsertOutcome};

const SOURCE: &str = "CREATE TABLE src (
  seq BIGINT, k BIGINT, v DOUBLE,
  ts AS TO_TIMESTAMP_LTZ(seq, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '10000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '10000',
  'fields.k.min' = '1', 'fields.k.max' = '1000', 'fields.v.min' = '0', 'fields.v.max' = '1'
);
CREATE TABLE snk (seq BIGINT, k BIGINT, v DOUBLE, ts TIMESTAMP_LTZ(3)) WITH ('connector' = 'blackhole');
";

#[test]
fn filters_exactly() {
    for parallelism in [1, 2] {
        let outcomes = run(
            &format!("{SOURCE} INSERT INTO snk SELECT seq, k, v, ts FROM src WHERE seq > 9000;"),
            parallelism,
        )
        .unwrap();
        assert_eq!(
            outcomes,
            [InsertOutcome {
                rows_out: 1000,
                late_records_dropped: 0
            }],
            "parallelism {parallelism}"
        );
    }
    let outcomes = run(
        &format!("{SOURCE} INSERT INTO snk SELECT seq, k, v, ts FROM src WHERE k BETWEEN 1 AND 1000;"),
        1,
    )
    .unwrap();
    assert_eq!(
        outcomes[0].rows_out, 10_000,
        "every random k is inside its declared range"
    );
}

#[test]
fn statement_sets_run_every_insert() {
    let sql = format!(
        "{SOURCE} EXECUTE STATEMENT SET BEGIN
           INSERT INTO snk SELECT seq, k, v, ts FROM src WHERE seq <= 10;
           INSERT INTO snk SELECT seq, k, v * 2, ts FROM src WHERE MOD(seq, 2) = 0;
         END;"
    );
    let outcomes = run(&sql, 1).unwrap();
    assert_eq!(outcomes.iter().map(|o| o.rows_out).collect::<Vec<_>>(), [10, 5000]);
}

#[test]
fn union_all_interleaves_its_inputs() {
    let sql = format!(
        "{SOURCE} INSERT INTO snk
           SELECT seq, k, v, ts FROM src WHERE seq <= 100
           UNION ALL
           SELECT seq, k, v, ts FROM src WHERE seq > 9950;"
    );
    assert_eq!(run(&sql, 1).unwrap()[0].rows_out, 150);
    // UNION without ALL keeps each distinct row once (as a changelog: a new row is inserted,
    // a repeated one changes nothing).
    let distinct = run(
        &format!("{SOURCE} INSERT INTO snk SELECT seq, k, v, ts FROM src UNION SELECT seq, k, v, ts FROM src;"),
        1,
    )
    .unwrap();
    assert_eq!(distinct[0].rows_out, 10_000);
}

#[test]
fn stateful_constructs_are_refused_with_their_name() {
    let cases = [
        (
            "INSERT INTO snk SELECT seq, k, v, ts FROM src ORDER BY v;",
            "ORDER BY on a stream",
        ),
        (
            "INSERT INTO snk SELECT seq, k, v, ts FROM (SELECT *, RANK() OVER (PARTITION BY k ORDER BY v) AS r FROM src) WHERE r = 1;",
            "OVER windows other than ROW_NUMBER()",
        ),
    ];
    for (insert, construct) in cases {
        let err = run(&format!("{SOURCE}\n{insert}"), 1).unwrap_err();
        match &err {
            EngineError::Unsupported { construct: c, at } => {
                assert!(c.contains(construct), "{c}");
                assert_eq!(at.unwrap().line, 12, "points at the statement");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.hint(), Some("run this pipeline on Flink with --engine flink"));
    }
    let err = run("CREATE TABLE k (a INT) WITH ('connector' = 'hbase-2.2');", 1).unwrap_err();
    assert!(err.to_string().contains("'hbase-2.2' connector"), "{err}");
}

#[test]
fn wrong_column_counts_are_an_error() {
    let err = run(&format!("{SOURCE} INSERT INTO snk SELECT seq, k FROM src;"), 1).unwrap_err();
    assert!(err.to_string().contains("produces 2 columns"), "{err}");
}

#[test]
fn aggregates_have_flinks_result_types() {
    // seq 1..=10 in two groups by parity; d = seq / 4 as DECIMAL(10, 2).
    let source = "CREATE TABLE nums (
      seq INT, d AS CAST(seq AS DECIMAL(10, 2)) / 4
    ) WITH (
      'connector' = 'datagen', 'number-of-rows' = '10', 'rows-per-second' = '1000000000',
      'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '10'
    );";
    let rows = common::query(&format!(
        "{source}
         SELECT MOD(seq, 2) AS odd, AVG(seq), SUM(seq), SUM(CAST(d AS DECIMAL(10, 2))),
                AVG(CAST(d AS DECIMAL(10, 2))), COUNT(*)
         FROM nums GROUP BY MOD(seq, 2)"
    ))
    .unwrap();
    // Evens 2+4+6+8+10 = 30 (AVG 6), odds 1+3+5+7+9 = 25 (AVG 5); AVG(INT) is an INT, as in
    // Flink; SUM(DECIMAL(10, 2)) is DECIMAL(38, 2) and AVG of it DECIMAL(38, 6).
    assert_eq!(
        rows,
        ["0 | 6 | 30 | 7.50 | 1.500000 | 5", "1 | 5 | 25 | 6.25 | 1.250000 | 5"]
    );
    let integer_average = common::query(&format!("{source} SELECT AVG(seq) FROM nums WHERE seq <= 2")).unwrap();
    assert_eq!(integer_average, ["1"], "(1 + 2) / 2 is 1 in integer arithmetic");
}

#[test]
fn flinks_functions_give_flinks_results() {
    let source = "CREATE TABLE one (
      seq INT, ts AS TO_TIMESTAMP('2024-03-05 07:08:09.123', 'yyyy-MM-dd HH:mm:ss.SSS')
    ) WITH (
      'connector' = 'datagen', 'number-of-rows' = '1', 'rows-per-second' = '1000000000',
      'fields.seq.kind' = 'sequence', 'fields.seq.start' = '7', 'fields.seq.end' = '7'
    );";
    let cases = [
        ("IF(seq > 5, 'big', 'small')", "big"),
        ("MOD(seq, 4)", "3"),
        ("DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss')", "2024-03-05 07:08:09"),
        ("DATE_FORMAT(ts, 'dd/MM/yy HH''h''mm')", "05/03/24 07h08"),
        ("FROM_UNIXTIME(86400)", "1970-01-02 00:00:00"),
        ("FROM_UNIXTIME(0, 'yyyyMMdd')", "19700101"),
        ("UNIX_TIMESTAMP('2024-01-01 00:00:00')", "1704067200"),
        ("UNIX_TIMESTAMP('02.01.2024', 'dd.MM.yyyy')", "1704153600"),
        ("FLOOR(ts TO HOUR)", "2024-03-05T07:00:00"),
        ("CEIL(ts TO DAY)", "2024-03-06T00:00:00"),
        ("EXTRACT(MONTH FROM ts)", "3"),
        ("HOUR(ts)", "7"),
        ("DAYOFWEEK(ts)", "3"),
        ("TIMESTAMPDIFF(MINUTE, ts, TIMESTAMPADD(HOUR, 2, ts))", "120"),
        ("SPLIT_INDEX('a,b,c', ',', 1)", "b"),
        ("SPLIT_INDEX('a,b,c', ',', 3)", "NULL"),
        (
            r#"JSON_VALUE('{"order": {"items": [{"sku": "x-1"}]}}', '$.order.items[0].sku')"#,
            "x-1",
        ),
        (r#"JSON_VALUE('{"a": {"b": 1}}', '$.a')"#, "NULL"),
    ];
    for (expression, expected) in cases {
        let rows = common::query(&format!("{source} SELECT {expression} FROM one"))
            .unwrap_or_else(|e| panic!("{expression}: {e}"));
        assert_eq!(rows, [expected], "{expression}");
    }
    let listed = common::query(&format!("{source} SELECT LISTAGG(CAST(seq AS STRING), '-') FROM one")).unwrap();
    assert_eq!(listed, ["7"]);
    // DISTINCT keeps the values' first-arrival order, as Flink does (one source partition, so
    // the arrival order is the sequence's).
    let letters = "CREATE TABLE letters (seq INT, letter AS SUBSTRING('cabacbd', seq, 1)) WITH (
      'connector' = 'datagen', 'number-of-rows' = '7', 'rows-per-second' = '1000000000',
      'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '7'
    );";
    let distinct = common::query_with(
        &format!("{letters} SELECT LISTAGG(DISTINCT letter), LISTAGG(DISTINCT letter, '') FROM letters"),
        1,
    )
    .unwrap();
    assert_eq!(distinct, ["c,a,b,d | cabd"]);
}

#[test]
fn datagen_options_that_cannot_generate_are_refused_by_name() {
    let table = |options: &str| {
        format!(
            "CREATE TABLE g (s STRING, d DOUBLE, n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '3', {options});
             CREATE TABLE o (s STRING, d DOUBLE, n BIGINT) WITH ('connector' = 'blackhole');
             INSERT INTO o SELECT * FROM g;"
        )
    };
    for (options, named) in [
        ("'fields.s.length' = '1e18'", "fields.s.length"),
        ("'fields.s.length' = '-1'", "fields.s.length"),
        ("'rows-per-second' = '0'", "rows-per-second"),
        ("'rows-per-second' = '-1'", "rows-per-second"),
        ("'fields.d.min' = 'NaN'", "fields.d.min"),
        ("'fields.d.max' = 'Infinity'", "fields.d.max"),
        ("'fields.d.min' = '5', 'fields.d.max' = '1'", "fields.d.min"),
        ("'fields.s.length' = '2.5'", "fields.s.length"),
    ] {
        let Err(error) = run(&table(options), 1) else {
            panic!("{options} was accepted")
        };
        assert!(
            matches!(&error, EngineError::Invalid(m) if m.contains(named)),
            "{options}: {error:?}"
        );
    }
    // The widest finite bounds generate finite values, and extreme sequences do not overflow.
    let rows = common::query(
        "CREATE TABLE w (d DOUBLE, n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '50',
           'rows-per-second' = '1000000000', 'fields.d.min' = '-1e308', 'fields.d.max' = '1e308',
           'fields.n.kind' = 'sequence', 'fields.n.start' = '-9223372036854775807', 'fields.n.end' = '9223372036854775807');
         SELECT COUNT(*), MIN(n) FROM w WHERE d BETWEEN -1e308 AND 1e308",
    )
    .unwrap();
    assert_eq!(rows, ["50 | -9223372036854775807"]);
}

#[test]
fn counting_the_groups_of_a_subquery_needs_none_of_its_columns() {
    // The outer COUNT(*) reads no column of the inner GROUP BY's changelog: its batches have
    // rows and no columns.
    let source = "CREATE TABLE nums (seq INT) WITH ('connector' = 'datagen', 'number-of-rows' = '100',
      'rows-per-second' = '1000000000', 'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1',
      'fields.seq.end' = '100');";
    let rows = common::query(&format!(
        "{source} SELECT COUNT(*) FROM (SELECT MOD(seq, 10) AS k FROM nums GROUP BY MOD(seq, 10))"
    ))
    .unwrap();
    assert_eq!(rows, ["10"]);
    let distinct = common::query(&format!(
        "{source} SELECT COUNT(*) FROM (SELECT DISTINCT MOD(seq, 7) FROM nums)"
    ))
    .unwrap();
    assert_eq!(distinct, ["7"]);
}

#[test]
fn views_read_through_other_views_and_a_query_may_shadow_one() {
    let views = "CREATE VIEW recent AS SELECT seq, k FROM src WHERE seq > 9990;
         CREATE TEMPORARY VIEW tens (s, bucket) AS SELECT seq, seq / 10 FROM recent;";
    let rows = common::query(&format!("{SOURCE}{views} SELECT s, bucket FROM tens WHERE s >= 9998;")).unwrap();
    assert_eq!(rows, ["10000 | 1000", "9998 | 999", "9999 | 999"]);
    // The query's own common table expression wins over the view of the same name.
    let rows = common::query(&format!(
        "{SOURCE}{views} WITH tens AS (SELECT seq AS s FROM src WHERE seq = 1) SELECT s FROM tens;"
    ))
    .unwrap();
    assert_eq!(rows, ["1"]);
    let error = run(
        &format!("{SOURCE}{views} CREATE VIEW recent AS SELECT seq FROM src;"),
        1,
    )
    .unwrap_err();
    assert!(error.to_string().contains("`recent` exists already"), "{error}");
}
