//! `pipegen init` then `pipegen validate`, for each kind of project, and what breaking each
//! kind of input file does.

mod common;

use common::{Scratch, examples};

fn init_ok(s: &Scratch, args: &[&str]) {
    s.run(args).expect(0);
    let name = args[1];
    let out = s.run(&["validate", "--project-dir", name]).expect(0);
    assert!(out.stdout.contains("is valid"), "{}", out.all());
    assert!(!out.stderr.contains("error"), "{}", out.stderr);
}

#[test]
fn default_project_validates_as_generated() {
    let s = Scratch::new();
    init_ok(&s, &["init", "demo"]);
    for file in [
        ".pipegen.yaml",
        "schemas/input.avsc",
        "sql/01_source.sql",
        "sql/02_sink.sql",
        "sql/03_pipeline.sql",
        "README.md",
        ".gitignore",
    ] {
        assert!(s.path().join("demo").join(file).is_file(), "{file}");
    }
    let source = s.read("demo/sql/01_source.sql");
    assert!(source.contains("WATERMARK FOR `event_time`"), "{source}");
    assert!(source.contains("'format' = 'avro-confluent'"), "{source}");
    let pipeline = s.read("demo/sql/03_pipeline.sql");
    assert!(
        pipeline.contains("TABLE `orders`") && pipeline.contains("INSERT INTO `order_stats`"),
        "{pipeline}"
    );
    // The README lists exactly the files generated.
    let readme = s.read("demo/README.md");
    for file in [
        "`.pipegen.yaml`",
        "`schemas/input.avsc`",
        "`sql/01_source.sql`",
        "`sql/02_sink.sql`",
        "`sql/03_pipeline.sql`",
        "`.gitignore`",
        "`README.md`",
    ] {
        assert!(readme.contains(file), "{file} not in README");
    }
    assert!(!readme.contains("docker"), "the README must describe only what exists");
    assert!(s.read("demo/.gitignore").contains("reports/"));
    // Its config is a valid config: every key known, every value typed.
    s.run(&["config", "show", "--project-dir", "demo"]).expect(0);
}

#[test]
fn init_from_an_avro_schema_validates() {
    let s = Scratch::new();
    let schema = examples().join("user-event.avsc");
    init_ok(&s, &["init", "clicks", "--input-schema", schema.to_str().unwrap()]);
    let source = s.read("clicks/sql/01_source.sql");
    for expected in [
        "CREATE TABLE `user_event`",
        "`device` ROW<",
        "`tags` ARRAY<STRING NOT NULL> NOT NULL",
        "`attributes` MAP<STRING NOT NULL, STRING NOT NULL> NOT NULL",
        "`price` DECIMAL(12, 2),",
        "`signup_date` DATE NOT NULL",
        "`ts` TIMESTAMP(3) NOT NULL",
        "WATERMARK FOR `ts`",
    ] {
        assert!(source.contains(expected), "{expected} not in:\n{source}");
    }
    assert!(s.read("clicks/sql/03_pipeline.sql").contains("TABLE `user_event`"));
    assert_eq!(
        s.read("clicks/schemas/input.avsc"),
        std::fs::read_to_string(schema).unwrap()
    );
}

#[test]
fn init_from_a_csv_validates() {
    let s = Scratch::new();
    let csv = examples().join("sales.csv");
    init_ok(&s, &["init", "sales", "--input-csv", csv.to_str().unwrap()]);
    let schema = s.read("sales/schemas/input.avsc");
    assert!(schema.contains("\"timestamp-millis\""), "{schema}");
    assert!(schema.contains("\"date\""), "{schema}");
    let source = s.read("sales/sql/01_source.sql");
    for expected in [
        "'connector' = 'filesystem'",
        "'format' = 'csv'",
        "'csv.allow-comments' = 'true'",
        "`account_number` BIGINT",
        "`order_date` DATE",
        "WATERMARK FOR",
    ] {
        assert!(source.contains(expected), "{expected} not in:\n{source}");
    }
    let data = s.read("sales/data/sales.csv");
    assert!(data.starts_with("# order_id,customer,"), "{data}");
    assert_eq!(
        data.lines().count(),
        std::fs::read_to_string(&csv).unwrap().lines().count()
    );
}

#[test]
fn init_refuses_bad_names_and_existing_dirs() {
    let s = Scratch::new();
    let out = s.run(&["init", "2fast"]).expect(2);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    s.run(&["init", "demo"]).expect(0);
    let out = s.run(&["init", "demo"]).expect(2);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    s.write("demo/notes.txt", "mine");
    s.edit("demo/sql/03_pipeline.sql", "INSERT", "-- edited\nINSERT");
    s.run(&["init", "demo", "--force"]).expect(0);
    assert_eq!(s.read("demo/notes.txt"), "mine");
    assert!(!s.read("demo/sql/03_pipeline.sql").contains("-- edited"));
}

#[test]
fn describe_without_a_model_says_how_to_configure_one_and_writes_nothing() {
    let s = Scratch::new();
    let out = s
        .run(&[
            "init",
            "described",
            "--describe",
            "fraud detection on card payments",
            "--domain",
            "fintech",
        ])
        .expect(2);
    assert!(
        out.stderr.contains("--describe needs a language model"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("PIPEGEN_OLLAMA_MODEL"), "{}", out.stderr);
    assert!(out.stderr.contains("PIPEGEN_OPENAI_API_KEY"), "{}", out.stderr);
    assert!(!s.path().join("described").exists());
    // --domain means nothing without --describe.
    s.run(&["init", "plain", "--domain", "fintech"]).expect(2);
    assert!(!s.path().join("plain").exists());
}

#[test]
fn bad_inputs_to_init_leave_nothing_behind() {
    let s = Scratch::new();
    s.write("bad.avsc", "{\n  \"type\": \"record\",\n  \"name\": \"X\",\n  \"fields\": [\n    {\"name\": \"a\", \"type\": \"strin\"}\n  ]\n}\n");
    let out = s.run(&["init", "p1", "--input-schema", "bad.avsc"]).expect(2);
    assert!(out.stderr.contains("bad.avsc:5"), "{}", out.stderr);
    assert!(out.stderr.contains("string"), "{}", out.stderr);
    assert!(!s.path().join("p1").exists());

    s.write(
        "broken.avsc",
        "{\"type\": \"record\",\n \"name\": \"X\" \"fields\": []}",
    );
    let out = s.run(&["init", "p2", "--input-schema", "broken.avsc"]).expect(2);
    assert!(out.stderr.contains("broken.avsc:2"), "{}", out.stderr);

    s.write("ragged.csv", "a,b\n1,2\n3,4,5\n");
    let out = s.run(&["init", "p3", "--input-csv", "ragged.csv"]).expect(2);
    assert!(
        out.stderr.contains("ragged.csv") && out.stderr.contains('3'),
        "{}",
        out.stderr
    );

    s.run(&["init", "p4", "--input-csv", "missing.csv"]).expect(2);
    for p in ["p1", "p2", "p3", "p4"] {
        assert!(!s.path().join(p).exists(), "{p} left behind");
    }
    let leftovers: Vec<_> = std::fs::read_dir(s.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(
        leftovers.iter().all(|n| !n.to_string_lossy().contains("pipegen-")),
        "{leftovers:?}"
    );
}

#[test]
fn a_sql_syntax_error_is_exit_2_with_file_line_and_the_line() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    s.edit(
        "demo/sql/03_pipeline.sql",
        "GROUP BY window_start",
        "GROUP BY BY window_start",
    );
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    assert!(out.stderr.contains("demo/sql/03_pipeline.sql:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("GROUP BY BY window_start"),
        "the offending line is quoted: {}",
        out.stderr
    );
}

#[test]
fn a_broken_schema_file_is_exit_2() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    s.edit("demo/schemas/input.avsc", "\"long\"", "\"lng\"");
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    assert!(out.stderr.contains("demo/schemas/input.avsc:"), "{}", out.stderr);
    assert!(out.stderr.contains("long"), "suggests the nearest type: {}", out.stderr);
}

#[test]
fn cross_check_findings_are_exit_1_with_hints() {
    // (file edited, text replaced, replacement, expected message, file the finding points at)
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "sql/03_pipeline.sql",
            "TABLE `orders`",
            "TABLE `order`",
            "did you mean `orders`?",
            "sql/03_pipeline.sql:",
        ),
        (
            "sql/03_pipeline.sql",
            "INSERT INTO `order_stats`",
            "INSERT INTO `orderstats`",
            "not declared",
            "sql/03_pipeline.sql:",
        ),
        (
            "sql/03_pipeline.sql",
            "  category,\n",
            "",
            "produces 5 columns",
            "sql/03_pipeline.sql:",
        ),
        (
            "sql/02_sink.sql",
            "'topic' = 'demo-order-stats',",
            "",
            "names no topic",
            "sql/02_sink.sql:",
        ),
        (
            "sql/02_sink.sql",
            "'format' = 'avro-confluent',",
            "'format' = 'avro-confluant',",
            "did you mean 'avro-confluent'?",
            "sql/02_sink.sql:",
        ),
        (
            "sql/01_source.sql",
            "${SCHEMA_REGISTRY_URL}",
            "${SCHEMA_REGISTRY}",
            "unknown placeholder",
            "sql/01_source.sql:",
        ),
        (
            "sql/01_source.sql",
            "`quantity` INT NOT NULL",
            "`quantity` BIGINT NOT NULL",
            "makes it INT",
            "sql/01_source.sql:",
        ),
        (
            "sql/01_source.sql",
            "`currency` STRING NOT NULL",
            "`currency_code` STRING NOT NULL",
            "not a field of",
            "sql/01_source.sql:",
        ),
        (
            "sql/01_source.sql",
            "WATERMARK FOR `event_time` AS `event_time` - INTERVAL '5' SECOND",
            "PRIMARY KEY (`order_id`) NOT ENFORCED",
            "has no watermark",
            "sql/03_pipeline.sql:",
        ),
        (
            "sql/01_source.sql",
            "`event_time` TIMESTAMP(3) NOT NULL",
            "`event_time` BIGINT NOT NULL",
            "Flink needs TIMESTAMP(3)",
            "sql/01_source.sql:",
        ),
    ];
    for (file, from, to, expected, located_in) in cases {
        let s = Scratch::new();
        s.run(&["init", "demo"]).expect(0);
        s.edit(&format!("demo/{file}"), from, to);
        let out = s.run(&["validate", "--project-dir", "demo"]);
        assert_eq!(out.code, 1, "{file}: {from} -> {to}\n{}", out.all());
        assert!(
            out.stderr.contains(expected),
            "{file}: expected {expected:?} in\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("demo/{located_in}")),
            "{file}: no file:line in\n{}",
            out.stderr
        );
        assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    }
}

#[test]
fn validate_without_a_project_is_exit_2() {
    let s = Scratch::new();
    let out = s.run(&["validate", "--project-dir", "nowhere"]).expect(2);
    assert!(out.stderr.contains("pipegen init"), "{}", out.stderr);
}

#[test]
fn a_jdbc_option_value_flink_does_not_know_is_named_with_the_valid_ones() {
    // The performance guide's dimension table sets 'lookup.cache' = 'SYNC'.
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    s.write(
        "demo/sql/00_users.sql",
        "CREATE TABLE user_lookup (
    user_id STRING,
    user_name STRING,
    PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
    'connector' = 'jdbc',
    'url' = 'jdbc:postgresql://127.0.0.1:5432/shop',
    'table-name' = 'users',
    'lookup.cache' = 'SYNC',
    'lookup.max-retries' = '3'
);
",
    );
    let out = s.run(&["validate", "--project-dir", "demo"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("'lookup.cache' = 'SYNC'"), "{}", out.stderr);
    assert!(out.stderr.contains("NONE, PARTIAL, FULL"), "{}", out.stderr);
    assert!(out.stderr.contains("demo/sql/00_users.sql:"), "{}", out.stderr);
}

#[test]
fn hints_are_checked_as_flink_checks_them() {
    // The performance guide's hints: USE_HASH_AGG (Flink knows no such hint), BROADCAST on a
    // streaming join (changes nothing), 'lookup.cache' = 'SYNC' in an OPTIONS hint.
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    s.write(
        "demo/sql/03_pipeline.sql",
        "CREATE TABLE customers (
    customer_id BIGINT,
    name STRING,
    PRIMARY KEY (customer_id) NOT ENFORCED
) WITH (
    'connector' = 'jdbc',
    'url' = 'jdbc:postgresql://127.0.0.1:5432/shop',
    'table-name' = 'customers'
);
CREATE TABLE named_orders (order_id STRING, name STRING) WITH ('connector' = 'blackhole');
INSERT INTO named_orders
SELECT /*+ BROADCAST(c) */ o.order_id, c.name
FROM orders AS o
JOIN customers /*+ OPTIONS('lookup.cache' = 'SYNC') */ AS c
ON o.customer_id = c.customer_id;
INSERT INTO `order_stats`
SELECT /*+ USE_HASH_AGG */ window_start, window_end, category, COUNT(*), SUM(quantity), SUM(amount)
FROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, category;
",
    );
    let out = s.run(&["validate", "--project-dir", "demo"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let stderr = &out.stderr;
    assert!(
        stderr.contains("demo/sql/03_pipeline.sql:14:20") && stderr.contains("'lookup.cache' = 'SYNC'"),
        "the hint's value, at the hint: {stderr}"
    );
    assert!(
        stderr.contains("demo/sql/03_pipeline.sql:17:12") && stderr.contains("Flink knows no hint USE_HASH_AGG"),
        "{stderr}"
    );
    assert!(
        stderr.contains("demo/sql/03_pipeline.sql:12:12") && stderr.contains("changes nothing in a streaming job"),
        "a warning for BROADCAST: {stderr}"
    );
    // Join hints must name the join's inputs when the join is a regular one.
    s.write(
        "demo/sql/03_pipeline.sql",
        "CREATE TABLE pairs (a STRING, b STRING) WITH ('connector' = 'blackhole');
INSERT INTO pairs
SELECT /*+ SHUFFLE_HASH(x) */ o.order_id, p.order_id
FROM orders AS o JOIN orders AS p ON o.customer_id = p.customer_id;
",
    );
    let out = s.run(&["validate", "--project-dir", "demo"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("names `x`, not a table, view or alias"),
        "{}",
        out.stderr
    );
}

#[test]
fn every_template_validates_as_generated() {
    let s = Scratch::new();
    for template in ["default", "dedup", "topn", "enrichment", "join"] {
        let name = format!("t_{template}");
        s.run(&["init", &name, "--template", template]).expect(0);
        let out = s.run(&["validate", "--project-dir", &name]);
        assert_eq!(out.code, 0, "{template}: {}", out.all());
        if template == "enrichment" {
            // Its database comes from the environment, unset here: warned, not refused.
            assert!(out.all().contains("CUSTOMERS_DB_URL"), "{}", out.all());
            assert!(s.path().join(&name).join("db/customers.postgres.sql").is_file());
            assert!(s.path().join(&name).join("schemas/customers.avsc").is_file());
        }
    }
    let out = s.run(&["init", "x", "--template", "joins"]).expect(2);
    assert!(out.stderr.contains("enrichment"), "{}", out.stderr);
    assert!(!s.path().join("x").exists());
}
