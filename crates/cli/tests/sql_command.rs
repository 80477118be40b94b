//! `pipegen sql`: statements from a file or standard input through the embedded engine, with
//! Flink's value formatting in each output format.

mod common;

use common::Scratch;

fn write_fixture(s: &Scratch) -> String {
    s.write(
        "data/orders.csv",
        "1,books,12.50,2024-03-01 10:00:00.000\n2,toys,3.10,2024-03-01 10:00:04.250\n\
         3,books,7.00,2024-03-01 10:00:09.999\n4,books,1.25,2024-03-01 10:00:10.000\n",
    );
    format!(
        "CREATE TABLE orders (id BIGINT, category STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts)
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');\n",
        s.path().join("data/orders.csv").display()
    )
}

#[test]
fn queries_print_flink_formatted_rows() {
    let s = Scratch::new();
    let ddl = write_fixture(&s);
    s.write(
        "q.sql",
        &format!(
            "{ddl}SELECT window_start, category, COUNT(*) AS n, SUM(amount) AS total
             FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY window_start, window_end, category;"
        ),
    );
    let json = s.run(&["sql", "-f", "q.sql", "--format", "json"]).expect(0).stdout;
    let mut lines: Vec<&str> = json.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            r#"{"window_start":"2024-03-01 10:00:00.000","category":"books","n":2,"total":19.50}"#,
            r#"{"window_start":"2024-03-01 10:00:00.000","category":"toys","n":1,"total":3.10}"#,
            r#"{"window_start":"2024-03-01 10:00:10.000","category":"books","n":1,"total":1.25}"#,
        ],
        "the window at end of input fires too"
    );

    let table = s.run(&["sql", "-f", "q.sql"]).expect(0).stdout;
    assert!(table.contains("|            window_start | category |"), "{table}");
    assert!(
        table.contains("| 2024-03-01 10:00:00.000 |    books | 2 | 19.50 |"),
        "{table}"
    );
    assert!(table.contains("3 rows in set"), "{table}");

    let changelog = s.run(&["sql", "-f", "q.sql", "--format", "changelog"]).expect(0).stdout;
    assert!(
        changelog.contains("+I[2024-03-01 10:00:10.000, books, 1, 1.25]"),
        "{changelog}"
    );
}

#[test]
fn errors_name_the_file_and_line() {
    let s = Scratch::new();
    let ddl = write_fixture(&s);
    s.write(
        "bad.sql",
        &format!("{ddl}SELECT category FROM orders ORDER BY amount;\n"),
    );
    let out = s.run(&["sql", "-f", "bad.sql"]).expect(2);
    assert!(out.stderr.contains("bad.sql:4"), "{}", out.stderr);
    assert!(out.stderr.contains("ORDER BY on a stream"), "{}", out.stderr);
    assert!(out.stderr.contains("--engine flink"), "{}", out.stderr);
    s.run(&["sql", "-f", "missing.sql"]).expect(2);
}

#[test]
fn updating_queries_print_their_changelog_or_final_table() {
    let s = Scratch::new();
    // Two files, two source partitions: the second batch updates the first one's counts.
    s.write("clicks/a.csv", "books,1\nbooks,2\ntoys,3\n");
    s.write("clicks/b.csv", "books,4\ngames,5\n");
    s.write(
        "q.sql",
        &format!(
            "CREATE TABLE clicks (category STRING, n BIGINT)
               WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             SELECT category, COUNT(*) AS clicks, SUM(n) AS total FROM clicks GROUP BY category;",
            s.path().join("clicks").display()
        ),
    );
    let changelog = s.run(&["sql", "-f", "q.sql", "--format", "changelog"]).expect(0).stdout;
    assert!(changelog.contains("-U[books, "), "{changelog}");
    assert!(changelog.contains("+U[books, 3, 7]"), "{changelog}");
    assert!(changelog.contains("+I[games, 1, 5]"), "{changelog}");
    let table = s.run(&["sql", "-f", "q.sql"]).expect(0).stdout;
    assert!(table.contains("|    books |      3 |     7 |"), "{table}");
    assert!(table.contains("3 rows in set"), "{table}");
    let json = s.run(&["sql", "-f", "q.sql", "--format", "json"]).expect(0).stdout;
    assert_eq!(json.lines().count(), 3, "{json}");
    assert!(json.contains(r#"{"category":"books","clicks":3,"total":7}"#), "{json}");
}
