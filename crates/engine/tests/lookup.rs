//! Lookup joins against a real PostgreSQL server (started per test on 127.0.0.1): the
//! engine's join must hold exactly the rows PostgreSQL's own join of the same rows holds; the
//! cache must spare the database; bad options and credentials fail clearly.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{Dir, runtime, text_rows};
use datafusion::arrow::record_batch::RecordBatch;
use pipegen_engine::{Changes, Engine, EngineError, LookupSnapshot, RowKind, TableSink};
use pipegen_sql::{Statement, parse_file};
use pipegen_testkit::Postgres;

/// The users dimension table, and orders whose user ids hit it, miss it, or are NULL.
fn database() -> Postgres {
    let db = Postgres::start();
    db.psql(
        "CREATE TABLE users (user_id BIGINT PRIMARY KEY, name TEXT, tier TEXT, credit NUMERIC(10, 2), active BOOLEAN);
         INSERT INTO users SELECT i, 'user ' || i, CASE WHEN i % 3 = 0 THEN 'gold' ELSE 'basic' END,
           (i * 7.25)::numeric(10, 2), i % 2 = 0 FROM generate_series(1, 40) AS i;
         UPDATE users SET name = NULL WHERE user_id = 5;",
    );
    db
}

/// `count` orders: user ids 1-60 (41-60 miss), every 17th NULL.
fn orders(dir: &Dir, count: i64) -> (String, Vec<(i64, Option<i64>, String)>) {
    let rows: Vec<(i64, Option<i64>, String)> = (1..=count)
        .map(|i: i64| {
            let user = (i % 17 != 0).then_some((i * 37) % 60 + 1);
            (i, user, format!("{}.{:02}", i % 90 + 1, i % 100))
        })
        .collect();
    let text: String = rows
        .iter()
        .map(|(id, user, amount)| format!("{id},{},{amount}\n", user.map(|u| u.to_string()).unwrap_or_default()))
        .collect();
    let path = dir.write("orders.csv", &text);
    (path, rows)
}

fn tables(db: &Postgres, orders: &str, lookup_options: &str) -> String {
    format!(
        "CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DECIMAL(10, 2), proc_time AS PROCTIME())
         WITH ('connector' = 'filesystem', 'path' = '{orders}', 'format' = 'csv', 'csv.null-literal' = '');
         CREATE TABLE users (user_id BIGINT, name STRING, tier STRING, credit DECIMAL(10, 2), active BOOLEAN,
           PRIMARY KEY (user_id) NOT ENFORCED)
         WITH ('connector' = 'jdbc', 'url' = '{}', 'table-name' = 'users',
           'username' = '{}', 'password' = '{}'{lookup_options});\n",
        db.jdbc_url(),
        Postgres::USER,
        Postgres::PASSWORD
    )
}

/// Keeps a query's changes.
#[derive(Clone, Default)]
struct Kept(Arc<Mutex<Vec<Changes>>>);

impl TableSink for Kept {
    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        let changes = Changes::new(batch.clone(), kinds.map(<[RowKind]>::to_vec));
        self.0.lock().unwrap().push(changes);
        Ok(())
    }
}

/// Runs the statements; returns the final query's rows (sorted) and its lookup counters.
fn query(sql: &str, parallelism: usize) -> Result<(Vec<String>, Vec<LookupSnapshot>), String> {
    let file = parse_file(Path::new("lookup.sql"), sql).map_err(|e| format!("{e:?}"))?;
    runtime().block_on(async {
        let mut engine = Engine::new(parallelism);
        let mut rows = Vec::new();
        let mut lookups = Vec::new();
        for statement in &file.statements {
            match &statement.kind {
                Statement::Query(_) => {
                    let kept = Kept::default();
                    let job = engine
                        .start(statement, Box::new(kept.clone()))
                        .await
                        .map_err(|e| e.to_string())?;
                    let metrics = job.metrics.clone();
                    job.wait().await.map_err(|e| e.to_string())?;
                    lookups.extend(metrics.lookups());
                    let changes = std::mem::take(&mut *kept.0.lock().unwrap());
                    rows.extend(text_rows(
                        &pipegen_engine::render::materialize(&changes).map_err(|e| e.to_string())?,
                    ));
                }
                _ => engine.execute(statement).await.map(|_| ()).map_err(|e| e.to_string())?,
            }
        }
        rows.sort();
        Ok((rows, lookups))
    })
}

/// The same join computed by PostgreSQL over the same orders.
fn database_join(db: &Postgres, orders: &[(i64, Option<i64>, String)], join: &str) -> Vec<String> {
    let values: Vec<String> = orders
        .iter()
        .map(|(id, user, amount)| {
            format!(
                "({id}, {}, {amount})",
                user.map(|u| u.to_string()).unwrap_or("NULL".into())
            )
        })
        .collect();
    db.psql(&format!(
        "DROP TABLE IF EXISTS orders; CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount NUMERIC(10, 2));
         INSERT INTO orders VALUES {};",
        values.join(", ")
    ));
    let text = db.psql(&format!(
        "SELECT o.order_id || ' | ' || COALESCE(u.name, 'NULL') || ' | ' || COALESCE(u.tier, 'NULL') || ' | ' ||
           COALESCE(u.credit::text, 'NULL') || ' | ' || o.amount::text
         FROM orders o {join} users u ON o.user_id = u.user_id AND u.tier <> 'gold'"
    ));
    let mut rows: Vec<String> = text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect();
    rows.sort();
    rows
}

const SELECT: &str = "SELECT o.order_id, u.name, u.tier, u.credit, o.amount
  FROM orders AS o {join} users FOR SYSTEM_TIME AS OF o.proc_time AS u
  ON o.user_id = u.user_id AND u.tier <> 'gold';";

#[test]
fn a_lookup_join_holds_the_rows_the_database_joins() {
    let db = database();
    let dir = Dir::new("lookup-join");
    let (path, rows) = orders(&dir, 300);
    for (join, database_join_kind) in [("JOIN", "JOIN"), ("LEFT JOIN", "LEFT JOIN")] {
        let sql = format!("{}{}", tables(&db, &path, ""), SELECT.replace("{join}", join));
        for parallelism in [1, 2] {
            let (engine_rows, _) = query(&sql, parallelism).unwrap();
            let expected = database_join(&db, &rows, database_join_kind);
            assert!(!expected.is_empty());
            assert_eq!(engine_rows, expected, "{join} at parallelism {parallelism}");
        }
    }
}

#[test]
fn a_partial_cache_asks_the_database_once_per_key() {
    let db = database();
    let dir = Dir::new("lookup-cache");
    // More rows than one batch holds: later batches find their keys in the cache.
    let (path, rows) = orders(&dir, 30_000);
    let keys: std::collections::BTreeSet<i64> = rows.iter().filter_map(|(_, user, _)| *user).collect();
    let cached = ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '1000',
      'lookup.partial-cache.expire-after-write' = '1 h'";
    let sql = format!(
        "{}{}",
        tables(&db, &path, cached),
        SELECT.replace("{join}", "LEFT JOIN")
    );
    let (with_cache, counters) = query(&sql, 1).unwrap();
    let [counter] = counters.as_slice() else {
        panic!("one lookup table: {counters:?}")
    };
    assert_eq!(counter.table, "users");
    assert_eq!(counter.lookups, keys.len() as u64, "{counter:?}");
    assert_eq!(counter.cache_misses, keys.len() as u64, "{counter:?}");
    assert!(counter.cache_hits > 0, "{counter:?}");
    let keyed = rows.iter().filter(|(_, user, _)| user.is_some()).count() as u64;
    assert_eq!(
        counter.cache_hits + counter.cache_misses,
        keyed,
        "hits and misses count rows, as Flink's cache counts its calls: {counter:?}"
    );
    // The same rows as without a cache.
    let sql = format!("{}{}", tables(&db, &path, ""), SELECT.replace("{join}", "LEFT JOIN"));
    let (without_cache, counters) = query(&sql, 1).unwrap();
    assert_eq!(with_cache, without_cache);
    assert_eq!(counters[0].cache_hits, 0);
    assert!(counters[0].lookups >= keys.len() as u64);
}

#[test]
fn lookup_options_flink_does_not_know_are_refused_naming_the_valid_ones() {
    let dir = Dir::new("lookup-options");
    let sql = "CREATE TABLE users (user_id STRING, PRIMARY KEY (user_id) NOT ENFORCED)
       WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1:1/db', 'table-name' = 'users',
             'lookup.cache' = 'SYNC');";
    let error = query(sql, 1).unwrap_err();
    assert!(
        error.contains("'lookup.cache' = 'SYNC'") && error.contains("NONE, PARTIAL or FULL"),
        "{error}"
    );
    let sql = "CREATE TABLE users (user_id STRING) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://h/db', 'table-name' = 'u');";
    let error = query(sql, 1).unwrap_err();
    assert!(error.contains("not a PostgreSQL JDBC URL"), "{error}");
    drop(dir);
}

#[test]
fn a_wrong_password_fails_naming_the_table_but_not_the_password() {
    let db = database();
    let dir = Dir::new("lookup-password");
    let (path, _) = orders(&dir, 300);
    let sql = format!(
        "{}{}",
        tables(&db, &path, ", 'lookup.max-retries' = '0'"),
        SELECT.replace("{join}", "JOIN")
    )
    .replace(Postgres::PASSWORD, "wrong-secret-77");
    let error = query(&sql, 1).unwrap_err();
    assert!(error.contains("jdbc table `users`"), "{error}");
    assert!(error.contains("password authentication failed"), "{error}");
    assert!(!error.contains("wrong-secret-77"), "{error}");
}

#[test]
fn a_join_of_a_jdbc_table_as_of_event_time_is_refused() {
    let db = database();
    let dir = Dir::new("lookup-event-time");
    let path = dir.write("orders.csv", "1,1,2.00,2024-03-01 12:00:00.000\n");
    let sql = format!(
        "CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv');
         CREATE TABLE users (user_id BIGINT, name STRING, PRIMARY KEY (user_id) NOT ENFORCED)
         WITH ('connector' = 'jdbc', 'url' = '{}', 'table-name' = 'users');
         SELECT o.order_id, u.name FROM orders AS o JOIN users FOR SYSTEM_TIME AS OF o.ts AS u ON o.user_id = u.user_id;",
        db.jdbc_url()
    );
    let error = query(&sql, 1).unwrap_err();
    assert!(error.contains("not a processing-time attribute"), "{error}");
}

#[test]
fn a_lookup_hint_retries_a_miss_until_the_row_comes() {
    let db = database();
    let dir = Dir::new("lookup-retry");
    // User 77 is not in the table when the order comes (the job asks within a second of its
    // start); it is inserted 2 s into the job.
    let path = dir.write("orders.csv", "1,77,5.00\n2,3,6.00\n");
    let joined = |hint: &str, insert: bool| {
        db.psql("DELETE FROM users WHERE user_id = 77");
        let sql = format!(
            "{}SELECT {hint} o.order_id, u.name FROM orders AS o
               JOIN users FOR SYSTEM_TIME AS OF o.proc_time AS u ON o.user_id = u.user_id;",
            tables(&db, &path, "")
        );
        std::thread::scope(|scope| {
            if insert {
                scope.spawn(|| {
                    std::thread::sleep(std::time::Duration::from_secs(2));
                    db.psql("INSERT INTO users VALUES (77, 'late user', 'basic', 1.00, true)");
                });
            }
            query(&sql, 1).unwrap()
        })
    };
    let (rows, counters) = joined(
        "/*+ LOOKUP('table'='u', 'retry-predicate'='lookup_miss', 'retry-strategy'='fixed_delay', 'fixed-delay'='100ms', 'max-attempts'='100') */",
        true,
    );
    assert_eq!(rows, ["1 | late user", "2 | user 3"], "the retried miss finds the row");
    assert!(counters[0].lookups > 2, "the miss was asked again: {counters:?}");
    let (rows, counters) = joined("", false);
    assert_eq!(rows, ["2 | user 3"], "without the hint the miss stays a miss");
    assert_eq!(counters[0].lookups, 2, "{counters:?}");
}

#[test]
fn an_options_hint_gives_the_reference_its_own_cache() {
    let db = database();
    let dir = Dir::new("lookup-options-hint");
    let (path, rows) = orders(&dir, 3_000);
    let keys: std::collections::BTreeSet<i64> = rows.iter().filter_map(|(_, user, _)| *user).collect();
    let sql = format!(
        "{}SELECT o.order_id, u.name FROM orders AS o
           JOIN users /*+ OPTIONS('lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '100',
             'lookup.partial-cache.expire-after-write' = '1 h') */ FOR SYSTEM_TIME AS OF o.proc_time AS u
           ON o.user_id = u.user_id;",
        tables(&db, &path, "")
    );
    let (_, counters) = query(&sql, 1).unwrap();
    assert_eq!(counters[0].table, "users", "counted under the name the SQL gives it");
    assert_eq!(
        counters[0].lookups,
        keys.len() as u64,
        "one lookup per key: {counters:?}"
    );
    // A miss is counted only where there is a cache.
    assert_eq!(counters[0].cache_misses, keys.len() as u64, "{counters:?}");
    // A value Flink does not know, in the hint, is refused as in the table's WITH.
    let error = query(&sql.replace("'PARTIAL'", "'SYNC'"), 1).unwrap_err();
    assert!(error.contains("'lookup.cache' = 'SYNC'"), "{error}");
}

#[test]
fn a_jdbc_table_reads_whole_where_no_lookup_join_reads_it() {
    let db = database();
    let dir = Dir::new("jdbc-scan");
    let (path, _) = orders(&dir, 10);
    let sql = format!(
        "{}SELECT tier, COUNT(*) AS users, SUM(credit) AS credit FROM users GROUP BY tier;",
        tables(&db, &path, "")
    );
    let (rows, lookups) = query(&sql, 1).unwrap();
    let expected: Vec<String> = db
        .psql("SELECT tier || ' | ' || COUNT(*) || ' | ' || SUM(credit) FROM users GROUP BY tier ORDER BY 1")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(rows, expected, "the database's own GROUP BY");
    assert!(lookups.is_empty(), "a scan is no lookup");
}

#[test]
fn a_jdbc_sink_that_cannot_write_fails_its_job_naming_the_table_but_not_the_password() {
    let db = database();
    let dir = Dir::new("jdbc-sink-fails");
    let (path, _) = orders(&dir, 10);
    let sql = format!(
        "{}CREATE TABLE gone (order_id BIGINT, amount DECIMAL(10, 2), PRIMARY KEY (order_id) NOT ENFORCED)
         WITH ('connector' = 'jdbc', 'url' = '{}', 'table-name' = 'no_such_table',
               'username' = '{}', 'password' = '{}', 'sink.max-retries' = '1');
         INSERT INTO gone SELECT order_id, amount FROM orders;",
        tables(&db, &path, ""),
        db.jdbc_url(),
        Postgres::USER,
        Postgres::PASSWORD
    );
    let error = query(&sql, 1).unwrap_err();
    assert!(
        error.contains("jdbc table `gone`") && error.contains("no_such_table") && error.contains("cannot write"),
        "{error}"
    );
    assert!(!error.contains(Postgres::PASSWORD), "{error}");
}
