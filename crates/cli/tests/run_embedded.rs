//! `pipegen run` on the embedded stack, end to end through the built binary: a fresh project,
//! real load, the JSON result and HTML report checked for consistency with each other and
//! with what the run measured.

mod common;

use common::Scratch;
use serde_json::Value;

fn result_of(s: &Scratch, project: &str) -> (Value, String) {
    let reports = s.path().join(project).join("reports");
    let mut files: Vec<_> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let json = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON result");
    let html = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .expect("an HTML report");
    assert_eq!(
        json.file_stem(),
        html.file_stem(),
        "both reports share their name: {files:?}"
    );
    assert!(
        json.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("pipegen-execution-report-"),
        "{json:?}"
    );
    (
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap(),
        std::fs::read_to_string(html).unwrap(),
    )
}

fn sum(rows: &Value, key: &str) -> u64 {
    rows.as_array().unwrap().iter().map(|r| r[key].as_u64().unwrap()).sum()
}

#[test]
fn the_default_project_runs_windows_end_to_end() {
    let s = Scratch::new();
    s.quick_project("demo");
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "run",
            "--duration",
            "6s",
            "--message-rate",
            "400",
            "--seed",
            "3",
        ])
        .expect(0);
    assert!(out.stdout.contains("report: "), "{}", out.stdout);
    let (result, html) = result_of(&s, "demo");

    assert_eq!(result["status"], "succeeded", "{result:#}");
    assert_eq!(result["backends"]["log"], "embedded");
    assert_eq!(result["backends"]["engine"], "embedded");
    let producer = &result["producer"];
    assert_eq!(producer["planned"], 2400);
    assert_eq!(producer["sent"], 2400);
    assert_eq!(producer["acked"], 2400);
    assert_eq!(producer["failed"], 0);
    assert!(
        producer["retried"].is_null(),
        "the embedded log never retries: {producer}"
    );

    let job = &result["jobs"][0];
    assert_eq!(job["records_in"], 2400, "the window job read every record: {job}");
    assert_eq!(job["late_records_dropped"], 0, "in-order input: {job}");
    let consumed = result["consumer"]["consumed"].as_u64().unwrap();
    assert!(
        consumed >= 5,
        "at least one window of five categories fired: {consumed}"
    );
    assert_eq!(
        job["records_out"].as_u64().unwrap(),
        consumed,
        "every result row was read back"
    );
    let window = &job["operators"][0];
    assert_eq!(window["name"], "WindowAggregate", "{job}");
    assert_eq!(window["records_in"], 2400, "one window per row (tumbling), none late");
    assert_eq!(window["records_out"], job["records_out"]);

    let e2e = &result["latency_ms"]["end_to_end"];
    assert_eq!(e2e["count"].as_u64().unwrap(), consumed);
    let p50 = e2e["p50"].as_f64().unwrap();
    assert!(
        (900.0..10_000.0).contains(&p50),
        "results arrive about the watermark delay (1 s) after their window ends: {p50} ms"
    );
    assert!(
        result["latency_ms"]["end_to_end_definition"]
            .as_str()
            .unwrap()
            .contains("window_end")
    );

    let timeline = &result["timeline"];
    assert_eq!(sum(timeline, "sent"), 2400);
    assert_eq!(sum(timeline, "consumed"), consumed);
    let source = result["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "source")
        .unwrap();
    assert_eq!(source["partitions"], 3);
    assert_eq!(
        sum(
            &source["end_offsets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| serde_json::json!({"n": o}))
                .collect::<Value>(),
            "n"
        ),
        2400
    );
    assert_eq!(source["lag"], 0);

    assert!(html.contains(result["run_id"].as_str().unwrap()));
    assert!(html.contains("WindowAggregate"), "the report lists the job's operators");
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(
        html.contains(&format!(
            r#"<td class="text">consumed</td><td data-json="/consumer/consumed">{consumed}</td>"#
        )),
        "the report shows the result's numbers"
    );
}

#[test]
fn a_pass_through_pipeline_accounts_for_every_record() {
    let s = Scratch::new();
    s.run(&["init", "shop"]).expect(0);
    s.write(
        "shop/sql/02_sink.sql",
        "CREATE TABLE `copies` (`order_id` STRING, `category` STRING, `event_time` TIMESTAMP(3)) WITH (
           'connector' = 'kafka', 'topic' = 'shop-copies',
           'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}', 'format' = 'json');\n",
    );
    s.write(
        "shop/sql/03_pipeline.sql",
        "INSERT INTO `copies` SELECT order_id, category, event_time FROM `orders`;\n",
    );
    s.run(&[
        "--project-dir",
        "shop",
        "run",
        "--duration",
        "3s",
        "--message-rate",
        "500",
        "-q",
    ])
    .expect(0);
    let (result, _) = result_of(&s, "shop");
    assert_eq!(result["status"], "succeeded");
    assert_eq!(result["producer"]["acked"], 1500);
    assert_eq!(result["consumer"]["consumed"], 1500, "every input is accounted for");
    let e2e = &result["latency_ms"]["end_to_end"];
    assert_eq!(e2e["count"], 1500);
    assert!(e2e["p99"].as_f64().unwrap() < 5_000.0, "{e2e}");
    assert!(
        result["latency_ms"]["end_to_end_definition"]
            .as_str()
            .unwrap()
            .contains("event_time")
    );
}

#[test]
fn sql_the_engine_cannot_run_is_refused_before_anything_runs() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    s.edit(
        "demo/sql/03_pipeline.sql",
        "GROUP BY window_start, window_end, category;",
        "GROUP BY window_start, window_end, category ORDER BY order_count;",
    );
    let out = s.run(&["--project-dir", "demo", "run", "--duration", "2s"]).expect(2);
    assert!(out.stderr.contains("ORDER BY"), "{}", out.stderr);
    assert!(
        out.stderr.contains("03_pipeline.sql:"),
        "names the file and line: {}",
        out.stderr
    );
    assert!(out.stderr.contains("--engine flink"), "{}", out.stderr);
    assert!(
        !s.path().join("demo/reports").exists(),
        "nothing ran, nothing was written"
    );
}

#[test]
fn records_retention_removed_unread_are_reported() {
    let s = Scratch::new();
    s.run(&["init", "tight"]).expect(0);
    // A partition keeps about one record: a batch of records outruns the pipeline at once.
    s.edit(
        "tight/.pipegen.yaml",
        "retention.ms: 3600000",
        "retention.ms: 3600000\n      retention.bytes: 100",
    );
    s.run(&[
        "--project-dir",
        "tight",
        "run",
        "--message-rate",
        "max",
        "--messages",
        "20000",
        "-q",
    ])
    .expect(0);
    let (result, _) = result_of(&s, "tight");
    let errors = result["errors"].as_object().unwrap();
    let lost = errors
        .iter()
        .find(|(k, _)| k.contains("removed by retention before the pipeline read them"))
        .map(|(_, v)| v.as_u64().unwrap())
        .unwrap_or_else(|| panic!("the loss is reported: {errors:?}"));
    let read = result["jobs"][0]["records_in"].as_u64().unwrap();
    assert_eq!(lost + read, 20_000, "every record was either read or reported lost");
}

#[test]
fn the_dedup_and_topn_templates_run_as_generated() {
    // 10-second windows and a 5-second watermark delay: a 17-second run closes the first
    // window (and, aligned to the clock, perhaps the second).
    let s = Scratch::new();
    for (template, at_most_per_window) in [("dedup", 1000), ("topn", 3)] {
        s.run(&["init", template, "--template", template]).expect(0);
        s.run(&[
            "--project-dir",
            template,
            "run",
            "--duration",
            "17s",
            "--message-rate",
            "100",
            "-q",
        ])
        .expect(0);
        let (result, _) = result_of(&s, template);
        assert_eq!(result["status"], "succeeded", "{template}: {}", result["error"]);
        let consumed = result["consumer"]["consumed"].as_u64().unwrap();
        assert!(
            (1..=2 * at_most_per_window).contains(&consumed),
            "{template}: {consumed} rows"
        );
    }
}

#[test]
fn the_join_template_pays_the_share_of_orders_its_payments_follow() {
    // Payments follow 9 orders in 10, 0.2 to 12 s later; the interval join keeps an order 15 s,
    // so every payment finds its order and the paid share is the payments' share.
    let s = Scratch::new();
    s.run(&["init", "join", "--template", "join"]).expect(0);
    s.run(&["--project-dir", "join", "validate"]).expect(0);
    s.run(&[
        "--project-dir",
        "join",
        "run",
        "--duration",
        "8s",
        "--message-rate",
        "250",
        "-q",
    ])
    .expect(0);
    let (result, _) = result_of(&s, "join");
    assert_eq!(result["status"], "succeeded", "{}", result["error"]);
    let topic = |suffix: &str| {
        let row = result["topics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("topic *{suffix}: {}", result["topics"]));
        row["end_offsets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|offset| offset.as_u64().unwrap())
            .sum::<u64>()
    };
    let (orders, payments) = (topic("-orders"), topic("-payments"));
    assert_eq!(orders, 2000);
    assert_eq!(result["producer"]["planned"], 2000, "only the orders follow the plan");
    assert_eq!(result["producer"]["following"], payments, "the payments follow them");
    // Binomial(2000, 0.9): 1,800, sd 13.4; 5 sd either side.
    assert!(
        (1733..=1867).contains(&payments),
        "{payments} payments for {orders} orders"
    );
    let paid = result["consumer"]["consumed"].as_u64().unwrap();
    assert_eq!(paid, payments, "every payment joined its order");
    assert_eq!(topic("-paid-orders"), paid);
}
