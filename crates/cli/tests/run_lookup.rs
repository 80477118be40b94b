//! `pipegen run` of an enrichment pipeline on the embedded stack: orders joined with a
//! customers table in a real PostgreSQL (a processing-time lookup join through the jdbc
//! connector), the database password from the environment. The run's JSON result, HTML report
//! and Prometheus endpoint count the lookups; the password shows nowhere.

mod common;

use common::{Scratch, artifact, browse, wait_for_port};
use pipegen_testkit::Postgres;
use serde_json::Value;

const PASSWORD_VARIABLE: &str = "SHOP_DB_PASSWORD";

/// Validates `project` (it must pass, without warnings) and runs it for `seconds` at `rate`
/// messages per second with `env`; returns the run's output.
fn validate_and_run(s: &Scratch, project: &str, env: &[(&str, &str)], seconds: u32, rate: u32) -> String {
    let validated = s.run_with_env(&["validate", "--project-dir", project], env);
    assert_eq!(validated.code, 0, "{}", validated.all());
    assert!(!validated.all().contains("warning"), "{}", validated.all());
    let (duration, rate) = (format!("{seconds}s"), rate.to_string());
    let out = s.run_with_env(
        &[
            "--project-dir",
            project,
            "run",
            "--duration",
            &duration,
            "--message-rate",
            &rate,
        ],
        env,
    );
    assert_eq!(out.code, 0, "{}", out.all());
    out.all()
}

/// The project's reports: each file's path and text.
fn reports(s: &Scratch, project: &str) -> Vec<(std::path::PathBuf, String)> {
    std::fs::read_dir(s.path().join(project).join("reports"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            (path, text)
        })
        .collect()
}

/// The run's JSON result.
fn result_of(s: &Scratch, project: &str) -> Value {
    let (_, json) = reports(s, project)
        .into_iter()
        .find(|(p, _)| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON result");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn an_enrichment_run_counts_its_lookups_everywhere_and_never_shows_the_password() {
    let db = Postgres::start();
    db.psql(
        "CREATE TABLE customers (customer_id BIGINT PRIMARY KEY, name TEXT, tier TEXT);
         INSERT INTO customers SELECT i, 'customer ' || i, CASE WHEN i % 4 = 0 THEN 'gold' ELSE 'basic' END
         FROM generate_series(1, 80) AS i;",
    );
    let s = Scratch::new();
    s.run(&["init", "shop"]).expect(0);
    // Customer ids 1-100: ids 81-100 are not in the table.
    s.edit(
        "shop/schemas/input.avsc",
        r#"{"name": "customer_id", "type": "long", "doc": "Who ordered."}"#,
        r#"{"name": "customer_id", "type": "long", "doc": "Who ordered.", "arg.properties": {"range": {"min": 1, "max": 101}}}"#,
    );
    s.edit(
        "shop/sql/01_source.sql",
        "WATERMARK FOR",
        "`proc_time` AS PROCTIME(),\n  WATERMARK FOR",
    );
    s.write(
        "shop/sql/02_sink.sql",
        &format!(
            "CREATE TABLE customers (customer_id BIGINT, name STRING, tier STRING, PRIMARY KEY (customer_id) NOT ENFORCED)
             WITH ('connector' = 'jdbc', 'url' = '{}', 'table-name' = 'customers',
                   'username' = '{}', 'password' = '${{{PASSWORD_VARIABLE}}}',
                   'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '1000',
                   'lookup.partial-cache.expire-after-write' = '10 min');
             CREATE TABLE `enriched` (`order_id` STRING, `customer_id` BIGINT, `name` STRING, `tier` STRING) WITH (
               'connector' = 'kafka', 'topic' = 'shop-enriched',
               'properties.bootstrap.servers' = '${{BOOTSTRAP_SERVERS}}', 'format' = 'json');\n",
            db.jdbc_url(),
            Postgres::USER
        ),
    );
    s.write(
        "shop/sql/03_pipeline.sql",
        "INSERT INTO `enriched`
         SELECT o.order_id, o.customer_id, c.name, c.tier
         FROM `orders` AS o
         LEFT JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c ON o.customer_id = c.customer_id;\n",
    );
    let env = [(PASSWORD_VARIABLE, Postgres::PASSWORD)];
    let output = validate_and_run(&s, "shop", &env, 4, 500);
    assert!(!output.contains(Postgres::PASSWORD), "the password shows in the output");
    let texts = reports(&s, "shop");
    for (path, text) in &texts {
        assert!(
            !text.contains(Postgres::PASSWORD),
            "the password shows in {}",
            path.display()
        );
    }
    let result = result_of(&s, "shop");
    assert_eq!(result["status"], "succeeded", "{result}");
    assert_eq!(
        result["consumer"]["consumed"], 2000,
        "a LEFT lookup join keeps every order"
    );
    let lookups = result["jobs"][0]["lookups"]
        .as_array()
        .expect("the job's lookup tables");
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    let lookup = &lookups[0];
    assert_eq!(lookup["table"], "customers");
    // One lookup per id the cache did not hold yet (at most the 100 ids: their misses are
    // kept too); each order counts as a hit or a miss, as Flink's cache counts its calls.
    let asked = lookup["lookups"].as_u64().unwrap();
    assert!((1..=100).contains(&asked), "{lookup}");
    assert_eq!(lookup["cache_misses"].as_u64(), Some(asked), "{lookup}");
    let hits = lookup["cache_hits"].as_u64().unwrap();
    assert_eq!(hits + asked, 2000, "{lookup}");
    let ratio = lookup["cache_hit_ratio"].as_f64().unwrap();
    assert!((ratio - hits as f64 / 2000.0).abs() < 1e-9, "{lookup}");
    let latency = &lookup["latency_ms"];
    assert_eq!(latency["count"].as_u64(), Some(asked), "{latency}");
    let (p50, max) = (latency["p50"].as_f64().unwrap(), latency["max"].as_f64().unwrap());
    assert!(0.0 < p50 && p50 <= max, "{latency}");

    let (_, html) = texts
        .iter()
        .find(|(p, _)| p.extension().is_some_and(|e| e == "html"))
        .expect("an HTML report");
    assert!(html.contains("id=\"lookups\""), "the report's lookup table");
    assert!(html.contains("/jobs/0/lookups/0/cache_hits"), "cells cite the JSON");

    // The live frames carry the lookups too (what the dashboard and Prometheus show).
    let frames = result["frames"].as_array().unwrap();
    let last = frames.last().unwrap();
    let in_frame = &last["jobs"][0]["lookups"][0];
    assert_eq!(in_frame["table"], "customers", "{last}");
    let framed = in_frame["lookups_total"].as_u64().unwrap();
    assert!(0 < framed && framed <= asked, "{in_frame}");

    // The dashboard, replaying the run in a real browser, shows the last frame's lookups.
    let port = pipegen_testkit::free_port();
    let mut dashboard = s.spawn(&[
        "--project-dir",
        "shop",
        "dashboard",
        "--standalone",
        "--port",
        &port.to_string(),
    ]);
    wait_for_port(port, &mut dashboard);
    let seen = browse(
        &format!("http://127.0.0.1:{port}/"),
        &artifact("dashboard-lookups.png"),
        None,
    );
    dashboard.kill().unwrap();
    let _ = dashboard.wait();
    let cell = |path: &str| {
        seen["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == path)
            .map(|c| c["text"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no cell for {path}: {seen}"))
    };
    assert_eq!(cell("/jobs/0/lookups/0/lookups_total"), framed.to_string());
    assert_eq!(
        cell("/jobs/0/lookups/0/cache_hits_total"),
        in_frame["cache_hits_total"].to_string()
    );
    assert!(cell("/jobs/0/lookups/0/latency_ms/p50").ends_with(" ms"));
    assert!(seen["page_errors"].as_array().unwrap().is_empty(), "{seen}");
}

#[test]
fn an_enrichment_run_finds_the_share_of_keys_its_schema_asks_for() {
    // The customers table holds ids 1-80; its schema says so, and the orders' customer ids
    // reference it with a hit ratio of 0.75: an inner lookup join keeps about 3 orders in 4.
    let db = Postgres::start();
    db.psql(
        "CREATE TABLE customers (customer_id BIGINT PRIMARY KEY, name TEXT);
         INSERT INTO customers SELECT i, 'customer ' || i FROM generate_series(1, 80) AS i;",
    );
    let s = Scratch::new();
    s.run(&["init", "shop"]).expect(0);
    s.write(
        "shop/schemas/customers.avsc",
        r#"{"type": "record", "name": "Customer", "fields": [
  {"name": "customer_id", "type": "long", "arg.properties": {"range": {"min": 1, "max": 81}}},
  {"name": "name", "type": "string"}
]}
"#,
    );
    s.edit(
        "shop/schemas/input.avsc",
        r#"{"name": "customer_id", "type": "long", "doc": "Who ordered."}"#,
        r#"{"name": "customer_id", "type": "long", "doc": "Who ordered.", "arg.properties": {"references": "customers.customer_id", "hit_ratio": 0.75}}"#,
    );
    s.edit(
        "shop/sql/01_source.sql",
        "WATERMARK FOR",
        "`proc_time` AS PROCTIME(),\n  WATERMARK FOR",
    );
    s.write(
        "shop/sql/02_sink.sql",
        &format!(
            "CREATE TABLE customers (customer_id BIGINT, name STRING, PRIMARY KEY (customer_id) NOT ENFORCED)
             WITH ('connector' = 'jdbc', 'url' = '{}', 'table-name' = 'customers',
                   'username' = '{}', 'password' = '${{{PASSWORD_VARIABLE}}}');
             CREATE TABLE `named` (`order_id` STRING, `name` STRING) WITH (
               'connector' = 'kafka', 'topic' = 'shop-named',
               'properties.bootstrap.servers' = '${{BOOTSTRAP_SERVERS}}', 'format' = 'json');\n",
            db.jdbc_url(),
            Postgres::USER
        ),
    );
    s.write(
        "shop/sql/03_pipeline.sql",
        "INSERT INTO `named`
         SELECT o.order_id, c.name
         FROM `orders` AS o
         JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c ON o.customer_id = c.customer_id;\n",
    );
    let env = [(PASSWORD_VARIABLE, Postgres::PASSWORD)];
    validate_and_run(&s, "shop", &env, 4, 500);
    let result = result_of(&s, "shop");
    assert_eq!(result["producer"]["acked"], 2000, "{result}");
    // 2,000 orders, each found with probability 0.75: 1,500 expected, a standard deviation
    // of 19.4; 5 of them either side.
    let found = result["consumer"]["consumed"].as_u64().unwrap();
    assert!(
        (1403..=1597).contains(&found),
        "{found} of 2000 orders found their customer"
    );
}

/// The enrichment template's environment for `db`.
fn database_env(db: &Postgres) -> Vec<(&'static str, String)> {
    vec![
        ("CUSTOMERS_DB_URL", db.jdbc_url()),
        ("CUSTOMERS_DB_USER", Postgres::USER.to_owned()),
        ("CUSTOMERS_DB_PASSWORD", Postgres::PASSWORD.to_owned()),
    ]
}

#[test]
fn the_enrichment_template_runs_as_generated_against_postgresql() {
    // The table is there already (its setup script run): the run inserts none of its rows
    // and removes nothing of it.
    let db = Postgres::start();
    let s = Scratch::new();
    s.run(&["init", "enrich", "--template", "enrichment"]).expect(0);
    db.psql_file(&s.path().join("enrich/db/customers.postgres.sql"), s.path());
    let env = database_env(&db);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    validate_and_run(&s, "enrich", &env, 3, 400);
    let result = result_of(&s, "enrich");
    assert_eq!(result["status"], "succeeded", "{result}");
    assert_eq!(
        result["consumer"]["consumed"], 1200,
        "a LEFT lookup join keeps every order"
    );
    let lookup = &result["jobs"][0]["lookups"][0];
    assert_eq!(lookup["table"], "customers", "{result}");
    assert!(lookup["lookups"].as_u64().unwrap() > 0, "{lookup}");
    assert_eq!(
        result["dimensions"],
        serde_json::json!([{"table": "customers", "created": false, "rows_inserted": 0}])
    );
    assert_eq!(db.psql("SELECT count(*) FROM customers").trim(), "1000");
}

#[test]
fn a_run_fills_the_dimension_table_it_owns_and_removes_it_after() {
    // No table in the database: the enrichment template's run creates customers, fills it
    // with one row per key of schemas/customers.avsc (ids 1-1000), and drops it at the end.
    // An inner join keeps the orders whose customer is there: 0.95 of them, as asked.
    let db = Postgres::start();
    let s = Scratch::new();
    s.run(&["init", "enrich", "--template", "enrichment"]).expect(0);
    s.edit("enrich/sql/03_pipeline.sql", "LEFT JOIN", "JOIN");
    let env = database_env(&db);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    validate_and_run(&s, "enrich", &env, 4, 500);
    let result = result_of(&s, "enrich");
    assert_eq!(result["status"], "succeeded", "{result}");
    assert_eq!(
        result["dimensions"],
        serde_json::json!([{"table": "customers", "created": true, "rows_inserted": 1000}])
    );
    // 2,000 orders found with probability 0.95: 1,900 expected, sd 9.7; 5 sd either side.
    let found = result["consumer"]["consumed"].as_u64().unwrap();
    assert!(
        (1851..=1949).contains(&found),
        "{found} of 2000 orders found their customer"
    );
    assert_eq!(
        db.psql("SELECT to_regclass('customers') IS NULL").trim(),
        "t",
        "the table the run created is gone"
    );
}

#[test]
fn a_run_removes_exactly_the_rows_it_added_to_an_existing_table() {
    let db = Postgres::start();
    db.psql(
        "CREATE TABLE customers (customer_id BIGINT PRIMARY KEY, name TEXT, tier TEXT);
         INSERT INTO customers SELECT i, 'kept', 'gold' FROM generate_series(1, 10) AS i;",
    );
    let s = Scratch::new();
    s.run(&["init", "enrich", "--template", "enrichment"]).expect(0);
    let env = database_env(&db);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    validate_and_run(&s, "enrich", &env, 2, 200);
    let result = result_of(&s, "enrich");
    assert_eq!(
        result["dimensions"],
        serde_json::json!([{"table": "customers", "created": false, "rows_inserted": 990}])
    );
    assert_eq!(
        db.psql("SELECT count(*), min(name), max(name), max(customer_id) FROM customers")
            .trim(),
        "10|kept|kept|10",
        "the user's rows stay, the run's are gone"
    );
}

#[test]
fn a_dimension_table_the_run_cannot_own_is_refused_where_the_config_names_it() {
    let s = Scratch::new();
    s.run(&["init", "enrich", "--template", "enrichment"]).expect(0);
    s.edit(
        "enrich/.pipegen.yaml",
        "  customers: {}",
        "  customers: {}\n  orders: {}",
    );
    let line = 1 + s
        .read("enrich/.pipegen.yaml")
        .lines()
        .position(|l| l == "  orders: {}")
        .unwrap();
    let out = s.run(&["validate", "--project-dir", "enrich"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.all().contains(&format!(".pipegen.yaml:{line}:"))
            && out
                .all()
                .contains("`dimensions.orders`: table `orders` has connector 'kafka'"),
        "{}",
        out.all()
    );
    s.edit("enrich/.pipegen.yaml", "  orders: {}", "  customer: {}");
    let out = s.run(&["validate", "--project-dir", "enrich"]);
    assert!(
        out.all().contains("declares no table `customer`") && out.all().contains("jdbc tables: customers"),
        "{}",
        out.all()
    );
}
