//! Real Flink SQL, as Flink's documentation writes it, through the front end.

use std::path::Path;

use pipegen_diag::{Diagnostic, Position};
use pipegen_sql::{
    ColumnKind, Statement, WindowKind, legacy_group_windows, output_columns, parse_file, parse_file_all,
    referenced_tables, window_tvfs,
};

fn parse(source: &str) -> Vec<Statement> {
    parse_file(Path::new("t.sql"), source)
        .unwrap_or_else(|e| panic!("{}", Diagnostic::from(&e)))
        .statements
        .into_iter()
        .map(|s| s.kind)
        .collect()
}

fn query_of(statement: &Statement) -> &sqlparser::ast::Query {
    match statement {
        Statement::Insert(insert) => &insert.query,
        Statement::Query(query) => query,
        other => panic!("not a query: {other:?}"),
    }
}

const ANCHOR: &str = r#"
CREATE TEMPORARY TABLE src (
  seq BIGINT, k BIGINT, v DOUBLE,
  ts AS TO_TIMESTAMP_LTZ(seq, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '5000000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '5000000',
  'fields.k.min' = '1', 'fields.k.max' = '1000', 'fields.v.min' = '0', 'fields.v.max' = '1'
);
INSERT INTO snk
SELECT window_start, window_end, k, COUNT(*) AS cnt, SUM(v) AS sv
FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, k;
"#;

#[test]
fn the_benchmark_anchor_parses_and_analyses() {
    let statements = parse(ANCHOR);
    let Statement::CreateTable(src) = &statements[0] else {
        panic!()
    };
    assert!(src.temporary);
    assert_eq!(src.name, "src");
    assert_eq!(src.columns.len(), 4);
    assert!(matches!(src.columns[3].kind, ColumnKind::Computed(_)));
    assert_eq!(src.watermark.as_ref().unwrap().column, "ts");
    assert_eq!(
        src.watermark.as_ref().unwrap().expr.to_string(),
        "ts - INTERVAL '1' SECOND"
    );
    assert_eq!(src.connector(), Some("datagen"));
    assert_eq!(src.option("fields.k.max"), Some("1000"));
    assert_eq!(src.options.len(), 10);

    let query = query_of(&statements[1]);
    assert_eq!(referenced_tables(query), ["src"]);
    let windows = window_tvfs(query);
    assert_eq!(windows.len(), 1);
    assert_eq!(
        (
            windows[0].kind,
            windows[0].table.as_str(),
            windows[0].time_column.as_str()
        ),
        (WindowKind::Tumble, "src", "ts")
    );
    assert_eq!(windows[0].sizes[0].to_string(), "INTERVAL '1' SECOND");
    let names: Vec<Option<String>> = output_columns(query).unwrap();
    assert_eq!(
        names,
        ["window_start", "window_end", "k", "cnt", "sv"].map(|s| Some(s.to_owned()))
    );
    // The TABLE argument prints back as Flink wrote it.
    assert!(
        query
            .to_string()
            .contains("TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))"),
        "{query}"
    );
}

#[test]
fn names_in_queries_know_where_they_stand() {
    let file = parse_file(
        Path::new("t.sql"),
        "-- x\nINSERT INTO snk\nSELECT window_start, k AS key, COUNT(*)\nFROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))\nGROUP BY window_start, k;",
    )
    .unwrap();
    let statement = &file.statements[0];
    let query = query_of(&statement.kind);
    let tables = pipegen_sql::table_references(query);
    assert_eq!(tables[0].name, "src");
    assert_eq!(statement.locate(tables[0].at.unwrap()), Position::new(4, 25));
    assert_eq!(pipegen_sql::single_source(query), Some(("src".to_owned(), true)));
    assert_eq!(pipegen_sql::select_aliases(query), ["key"]);
    let columns: Vec<(String, Position)> = pipegen_sql::column_references(query)
        .into_iter()
        .map(|c| (c.name, statement.locate(c.at.unwrap())))
        .collect();
    assert!(columns.contains(&("k".to_owned(), Position::new(3, 22))), "{columns:?}");
    assert!(
        columns.contains(&("ts".to_owned(), Position::new(4, 41))),
        "{columns:?}"
    );

    let joined = parse("SELECT * FROM a JOIN b ON a.x = b.x;");
    assert_eq!(pipegen_sql::single_source(query_of(&joined[0])), None);
    let nested = parse("SELECT x FROM a WHERE x IN (SELECT y FROM b);");
    assert_eq!(pipegen_sql::single_source(query_of(&nested[0])), None);
}

#[test]
fn pass_through_queries_are_told_from_stateful_ones() {
    let cases = [
        ("SELECT a, UPPER(b) FROM t WHERE a > 1;", true),
        ("SELECT a FROM t GROUP BY a;", false),
        ("SELECT COUNT(*) FROM t;", false),
        ("SELECT DISTINCT a FROM t;", false),
        ("SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t;", false),
        ("SELECT * FROM a JOIN b ON a.x = b.x;", false),
        (
            "SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND));",
            false,
        ),
    ];
    for (sql, expected) in cases {
        let statements = parse(sql);
        assert_eq!(
            pipegen_sql::is_pass_through(query_of(&statements[0])),
            expected,
            "{sql}"
        );
    }
}

#[test]
fn every_window_tvf() {
    let statements = parse(
        "SELECT * FROM TABLE(HOP(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES));
         SELECT * FROM TABLE(CUMULATE(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES));
         SELECT window_start, item, SUM(price) FROM TABLE(SESSION(TABLE bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES)) GROUP BY item, window_start, window_end;
         SELECT * FROM TABLE(SESSION(TABLE db.bid PARTITION BY (item, shop), DESCRIPTOR(bidtime), INTERVAL '5' MINUTES));",
    );
    let kinds: Vec<(WindowKind, usize)> = statements
        .iter()
        .flat_map(|s| window_tvfs(query_of(s)))
        .map(|w| (w.kind, w.sizes.len()))
        .collect();
    assert_eq!(
        kinds,
        [
            (WindowKind::Hop, 2),
            (WindowKind::Cumulate, 2),
            (WindowKind::Session, 1),
            (WindowKind::Session, 1)
        ]
    );
    let session = &window_tvfs(query_of(&statements[2]))[0];
    assert_eq!(session.table, "bid");
    assert_eq!(session.partition_by.len(), 1);
    let session = &window_tvfs(query_of(&statements[3]))[0];
    assert_eq!((session.table.as_str(), session.partition_by.len()), ("db.bid", 2));
    assert!(
        query_of(&statements[2])
            .to_string()
            .contains("TABLE bid PARTITION BY item")
    );
}

#[test]
fn legacy_group_windows_and_their_helpers() {
    let statements = parse(
        "SELECT user_id, TUMBLE_START(ts, INTERVAL '1' MINUTE) AS w, COUNT(*) FROM clicks GROUP BY user_id, TUMBLE(ts, INTERVAL '1' MINUTE);
         SELECT HOP_END(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE) FROM clicks GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE);",
    );
    let windows = legacy_group_windows(query_of(&statements[0]));
    assert!(
        windows
            .iter()
            .any(|w| w.kind == WindowKind::Tumble && w.time_column == "ts")
    );
    assert!(
        legacy_group_windows(query_of(&statements[1]))
            .iter()
            .any(|w| w.kind == WindowKind::Hop && w.sizes.len() == 2)
    );
    assert_eq!(referenced_tables(query_of(&statements[0])), ["clicks"]);
}

#[test]
fn kafka_ddl_with_metadata_primary_key_and_comments() {
    let statements = parse(
        "CREATE TABLE IF NOT EXISTS `cat`.`db`.`orders` (
           `order_id` STRING NOT NULL COMMENT 'the id',
           `price` DECIMAL(10, 2),
           `tags` ARRAY<STRING>,
           `addr` ROW<street STRING, zip INT NOT NULL>,
           `event_time` TIMESTAMP(3) METADATA FROM 'timestamp',
           `partition` BIGINT METADATA VIRTUAL,
           `offset` BIGINT METADATA VIRTUAL,
           `headers` MAP<STRING, BYTES> METADATA,
           proc AS PROCTIME(),
           CONSTRAINT pk PRIMARY KEY (`order_id`) NOT ENFORCED,
           WATERMARK FOR `event_time` AS `event_time` - INTERVAL '5' SECOND
         ) COMMENT 'orders' PARTITIONED BY (`order_id`) WITH (
           'connector' = 'upsert-kafka', 'topic' = 'orders', 'key.format' = 'json', 'value.format' = 'json',
           'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}'
         );",
    );
    let Statement::CreateTable(t) = &statements[0] else {
        panic!()
    };
    assert_eq!(t.name, "cat.db.orders");
    assert!(t.if_not_exists);
    assert_eq!(t.primary_key.as_deref(), Some(&["order_id".to_owned()][..]));
    assert_eq!(t.columns[0].comment.as_deref(), Some("the id"));
    let ColumnKind::Physical(ty) = &t.columns[0].kind else {
        panic!()
    };
    assert_eq!(ty.to_string(), "STRING NOT NULL");
    let ColumnKind::Physical(ty) = &t.columns[3].kind else {
        panic!()
    };
    assert_eq!(ty.to_string(), "ROW<`street` STRING, `zip` INT NOT NULL>");
    let ColumnKind::Metadata { key, is_virtual, .. } = &t.columns[4].kind else {
        panic!()
    };
    assert_eq!((key.as_deref(), *is_virtual), (Some("timestamp"), false));
    assert!(matches!(
        t.columns[5].kind,
        ColumnKind::Metadata { is_virtual: true, .. }
    ));
    assert!(matches!(t.columns[8].kind, ColumnKind::Computed(_)));
    assert_eq!(t.physical_columns().count(), 4);
    assert_eq!(
        (t.connector(), t.format(), t.comment.as_deref()),
        (Some("upsert-kafka"), Some("json"), Some("orders"))
    );
    assert_eq!(t.partitioned_by, ["order_id"]);
    // Columns and options know their line in the file.
    assert_eq!(t.columns[2].position, Position::new(4, 12));
    assert_eq!(t.options[1].position.line, 14);
}

#[test]
fn inline_primary_key_views_set_reset_and_other_statements() {
    let statements = parse(
        "CREATE TABLE d (id INT PRIMARY KEY NOT ENFORCED, name STRING) WITH ('connector' = 'print');
         CREATE TEMPORARY VIEW recent (id, n) AS SELECT id, name FROM d WHERE id > 10;
         SET 'pipeline.auto-watermark-interval' = '0 ms';
         SET table.exec.state.ttl = 1h;
         SET;
         RESET 'table.exec.state.ttl';
         RESET;
         USE db1;
         SHOW TABLES;",
    );
    let Statement::CreateTable(d) = &statements[0] else {
        panic!()
    };
    assert_eq!(d.primary_key.as_deref(), Some(&["id".to_owned()][..]));
    let Statement::CreateView(v) = &statements[1] else {
        panic!()
    };
    assert_eq!((v.name.as_str(), v.temporary, v.columns.len()), ("recent", true, 2));
    assert_eq!(referenced_tables(&v.query), ["d"]);
    assert!(
        matches!(&statements[2], Statement::Set { key: Some(k), value: Some(v) } if k == "pipeline.auto-watermark-interval" && v == "0 ms")
    );
    assert!(
        matches!(&statements[3], Statement::Set { key: Some(k), value: Some(v) } if k == "table.exec.state.ttl" && v == "1h")
    );
    assert!(matches!(&statements[4], Statement::Set { key: None, value: None }));
    assert!(matches!(&statements[5], Statement::Reset { key: Some(_) }));
    assert!(matches!(&statements[6], Statement::Reset { key: None }));
    assert!(matches!(&statements[7], Statement::Other(_)));
    assert!(matches!(&statements[8], Statement::Other(_)));
}

#[test]
fn statement_sets_joins_top_n_and_dedup() {
    let statements = parse(
        "EXECUTE STATEMENT SET BEGIN
           INSERT INTO a SELECT * FROM src WHERE x > 1;
           INSERT INTO b (k, n) SELECT k, COUNT(*) FROM src GROUP BY k;
         END;
         BEGIN STATEMENT SET;
           INSERT INTO c SELECT * FROM src;
         END;
         INSERT INTO top3 SELECT * FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY category ORDER BY sales DESC) AS row_num FROM shop_sales
         ) WHERE row_num <= 3;
         INSERT INTO firsts SELECT order_id, ts FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY ts ASC) AS rn FROM orders
         ) WHERE rn = 1;
         SELECT * FROM orders o, shipments s WHERE o.id = s.order_id AND o.ts BETWEEN s.ts - INTERVAL '4' HOUR AND s.ts;
         SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency;
         WITH big AS (SELECT * FROM orders WHERE amount > 100) SELECT * FROM big LEFT JOIN customers c ON big.cid = c.id
           UNION ALL SELECT * FROM archive;",
    );
    let Statement::StatementSet(set) = &statements[0] else {
        panic!("{:?}", statements[0])
    };
    assert_eq!(set.len(), 2);
    assert_eq!(set[1].columns.as_deref(), Some(&["k".to_owned(), "n".to_owned()][..]));
    assert!(matches!(&statements[1], Statement::StatementSet(s) if s.len() == 1));
    assert_eq!(referenced_tables(query_of(&statements[2])), ["shop_sales"]);
    assert_eq!(
        output_columns(query_of(&statements[3])).unwrap(),
        [Some("order_id".into()), Some("ts".into())]
    );
    assert_eq!(referenced_tables(query_of(&statements[4])), ["orders", "shipments"]);
    assert_eq!(referenced_tables(query_of(&statements[5])), ["orders", "rates"]);
    assert_eq!(
        referenced_tables(query_of(&statements[6])),
        ["orders", "customers", "archive"]
    );
    assert_eq!(
        output_columns(query_of(&statements[6])),
        None,
        "SELECT * cannot be named without the catalog"
    );
}

#[test]
fn flink_scalar_functions_parse() {
    parse(
        "SELECT CAST(a AS STRING), CAST(b AS TIMESTAMP(3)), CAST(c AS DECIMAL(10, 2)), CASE WHEN x THEN 1 ELSE 2 END,
                COALESCE(a, 'n/a'), IF(a > 1, 'y', 'n'), DATE_FORMAT(ts, 'yyyy-MM-dd'), TO_TIMESTAMP(s, 'yyyy-MM-dd HH:mm:ss'),
                TO_TIMESTAMP_LTZ(ms, 3), FROM_UNIXTIME(sec), UNIX_TIMESTAMP(), EXTRACT(HOUR FROM ts), FLOOR(ts TO HOUR),
                CEIL(ts TO MINUTE), JSON_VALUE(j, '$.a'), LISTAGG(DISTINCT name), COUNT(DISTINCT id), STDDEV_POP(v),
                FIRST_VALUE(v), LAST_VALUE(v), UPPER(s) || LOWER(s), SUBSTRING(s FROM 1 FOR 3), CHAR_LENGTH(s)
         FROM t;",
    );
}

#[test]
fn errors_point_at_the_file_line_and_column() {
    let source = "CREATE TABLE a (x INT) WITH ('connector' = 'print');\n\n-- third statement below\nINSERT INTO b\nSELECT x\nFROM a\nGROUP BY BY x;\n";
    let err = parse_file(Path::new("sql/03.sql"), source).unwrap_err();
    assert_eq!(err.position, Position::new(7, 13), "{err:?}");
    assert_eq!(err.source_line.as_deref(), Some("GROUP BY BY x;"));
    let shown = Diagnostic::from(&err).to_string();
    assert!(shown.starts_with("sql/03.sql:7:13: error: "), "{shown}");
    assert!(!shown.contains("sql parser error"), "{shown}");

    let err = parse_file(
        Path::new("t.sql"),
        "CREATE TABLE t (\n  a STRNG\n) WITH ('connector' = 'print');",
    )
    .unwrap_err();
    assert_eq!(err.position.line, 2, "{err:?}");
    assert!(err.message.contains("did you mean STRING?"), "{err:?}");

    let err = parse_file(
        Path::new("t.sql"),
        "CREATE TABLE t (a INT, PRIMARY KEY (a)) WITH ('connector' = 'print');",
    )
    .unwrap_err();
    assert!(err.message.contains("NOT ENFORCED"), "{err:?}");
    assert!(err.hint.is_some());

    let err = parse_file(Path::new("t.sql"), "CREATE TABLE t (a INT) WITH (connector = 'print');").unwrap_err();
    assert!(err.message.contains("quoted string"), "{err:?}");

    let err = parse_file(Path::new("t.sql"), "SELECT 1;\nSELECT 'open").unwrap_err();
    assert_eq!(err.position, Position::new(2, 8));
}

#[test]
fn parse_file_all_reports_every_bad_statement() {
    let errors = parse_file_all(Path::new("t.sql"), "SELEC 1;\nSELECT 2;\nINSERT INTO;\n").unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1].position.line, 3);
}

proptest::proptest! {
    #[test]
    fn parsing_never_panics(source in "\\PC{0,120}") {
        let _ = parse_file_all(Path::new("fuzz.sql"), &source);
    }

    #[test]
    fn sql_shaped_input_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
        "CREATE", "TABLE", "t", "(", ")", "a", "INT", ",", "WATERMARK", "FOR", "AS", "-", "INTERVAL", "'1'", "SECOND",
        "WITH", "'k'", "=", "'v'", "INSERT", "INTO", "SELECT", "*", "FROM", "TUMBLE", "TABLE", "DESCRIPTOR", ";", "ROW<",
        ">", ">>", "ARRAY<", "MAP<", "PRIMARY", "KEY", "NOT", "ENFORCED", "EXECUTE", "STATEMENT", "SET", "BEGIN", "END",
        "METADATA", "VIRTUAL", "PARTITION", "BY", "`", "'", " ",
    ]), 0..40)) {
        let source = parts.join(" ");
        let _ = parse_file_all(Path::new("fuzz.sql"), &source);
    }
}
