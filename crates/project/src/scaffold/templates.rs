//! `pipegen init --template NAME`: starting points beside the default windowed aggregation,
//! each over the same order events and each valid and runnable as generated.
//!
//! - `dedup`: each customer's first order in every 10-second window (window deduplication).
//! - `topn`: the three products with the most revenue in every 10-second window (window Top-N).
//! - `enrichment`: orders joined with a PostgreSQL customers table as they come (a
//!   processing-time lookup join through the jdbc connector, behind a PARTIAL cache), the
//!   performance guide's enrichment made valid; the database comes from the environment.
//! - `join`: orders joined with their payments, a second stream that follows the orders 0.2
//!   to 12 seconds later (9 orders in 10 are paid), by an interval join.

use std::path::Path;

use super::ddl::ColumnSpec;
use super::error::InitError;
use super::schema_variant::{input_error, kafka_source_table};
use super::{Blueprint, ExtraFile, SinkSql};
use crate::name::ProjectName;

/// A starting point `init` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Template {
    /// Order statistics per category in 10-second tumbling windows.
    #[default]
    Default,
    Dedup,
    Topn,
    Enrichment,
    Join,
}

impl Template {
    pub const NAMES: [&'static str; 5] = ["default", "dedup", "topn", "enrichment", "join"];

    pub fn parse(name: &str) -> Option<Template> {
        match name {
            "default" => Some(Template::Default),
            "dedup" => Some(Template::Dedup),
            "topn" => Some(Template::Topn),
            "enrichment" => Some(Template::Enrichment),
            "join" => Some(Template::Join),
            _ => None,
        }
    }
}

/// The environment variables the enrichment template's database comes from.
pub const DATABASE_VARIABLES: [&str; 3] = ["CUSTOMERS_DB_URL", "CUSTOMERS_DB_USER", "CUSTOMERS_DB_PASSWORD"];

/// The default blueprint turned into `template`'s.
pub(crate) fn apply(template: Template, name: &ProjectName, mut blueprint: Blueprint) -> Result<Blueprint, InitError> {
    let kebab = name.kebab();
    Ok(match template {
        Template::Default => blueprint,
        Template::Dedup => {
            blueprint.origin = "built-in order events template, deduplication".to_owned();
            blueprint.sink = kafka_sink(
                &kebab,
                "first_orders",
                "first-orders",
                "Sink: each customer's first order in every 10-second window.",
                "`window_start` TIMESTAMP(3) NOT NULL,\n  `window_end` TIMESTAMP(3) NOT NULL,\n  `customer_id` BIGINT NOT NULL,\n  `order_id` STRING NOT NULL,\n  `amount` DECIMAL(10, 2) NOT NULL,\n  `event_time` TIMESTAMP(3) NOT NULL",
            );
            blueprint.pipeline_sql = DEDUP_SQL.to_owned();
            blueprint.pipeline_summary = "Keeps each customer's first order (by event time) in every 10-second tumbling window: Flink's window deduplication, append-only, a window's rows emitted once the watermark (event time - 5 s) passes its end.".to_owned();
            blueprint
        }
        Template::Topn => {
            blueprint.origin = "built-in order events template, Top-N".to_owned();
            blueprint.sink = kafka_sink(
                &kebab,
                "top_products",
                "top-products",
                "Sink: the three products with the most revenue in every 10-second window.",
                "`window_start` TIMESTAMP(3) NOT NULL,\n  `window_end` TIMESTAMP(3) NOT NULL,\n  `product_id` STRING NOT NULL,\n  `revenue` DECIMAL(38, 2),\n  `orders` BIGINT NOT NULL,\n  `rank_in_window` BIGINT NOT NULL",
            );
            blueprint.pipeline_sql = TOPN_SQL.to_owned();
            blueprint.pipeline_summary = "Ranks products by revenue in every 10-second tumbling window and keeps the top three: Flink's window Top-N, append-only, a window's rows emitted once the watermark (event time - 5 s) passes its end.".to_owned();
            blueprint
        }
        Template::Enrichment => enrichment(&kebab, blueprint),
        Template::Join => join(name, blueprint)?,
    })
}

/// Orders and the payments that follow them, joined when a payment comes within 15 s.
fn join(name: &ProjectName, mut blueprint: Blueprint) -> Result<Blueprint, InitError> {
    blueprint.origin = "built-in order events template, interval join with payments".to_owned();
    let payments_json = PAYMENTS_SCHEMA.replace("{namespace}", &name.identifier());
    let payments_schema =
        pipegen_schema::avro::parse_schema(Path::new(PAYMENTS_SCHEMA_PATH), &payments_json).map_err(input_error)?;
    let topic = format!("{}-payments", name.kebab());
    let payments = kafka_source_table(
        name,
        "payments",
        &topic,
        &payments_schema,
        vec![
            "Source: payments, produced by `pipegen run` into the topic below: for 9 orders in 10".to_owned(),
            "a payment 0.2 to 12 s after the order (the `follows` hint in schemas/payments.avsc).".to_owned(),
            "Columns mirror schemas/payments.avsc; the watermark lets payments arrive up to 5 s late.".to_owned(),
        ],
    )?;
    blueprint.extra.push(ExtraFile {
        path: PAYMENTS_SCHEMA_PATH.to_owned(),
        about: "AVRO schema of the payments: each follows an order (its `order_id`), 0.2 to 12 s later.".to_owned(),
        content: payments_json,
    });
    blueprint.extra.push(ExtraFile {
        path: "sql/01_payments.sql".to_owned(),
        about: "Source table `payments`.".to_owned(),
        content: payments.render(),
    });
    blueprint.sink = kafka_sink(
        &name.kebab(),
        "paid_orders",
        "paid-orders",
        "Sink: each order paid within 15 seconds, with its payment.",
        "`order_id` STRING NOT NULL,\n  `customer_id` BIGINT NOT NULL,\n  `amount` DECIMAL(10, 2) NOT NULL,\n  `payment_id` STRING NOT NULL,\n  `method` STRING NOT NULL,\n  `order_time` TIMESTAMP(3) NOT NULL,\n  `payment_time` TIMESTAMP(3) NOT NULL,\n  `seconds_to_pay` INT NOT NULL",
    );
    blueprint.pipeline_sql = JOIN_SQL.to_owned();
    blueprint.pipeline_summary = "Joins each order with its payment when the payment comes within 15 seconds of the order: an event-time interval join of two streams, append-only, each pair emitted as soon as both sides have arrived. The run generates payments for 9 orders in 10, 0.2 to 12 seconds after them, so about 90% of the orders come out paid.".to_owned();
    Ok(blueprint)
}

fn enrichment(kebab: &str, mut blueprint: Blueprint) -> Blueprint {
    blueprint.origin = "built-in order events template, enrichment from PostgreSQL".to_owned();
    // Order customers are keys of the customers table, 1 in 20 of them unknown to it.
    blueprint.schema_json = blueprint.schema_json.replace(
        r#"{"name": "customer_id", "type": "long", "doc": "Who ordered."}"#,
        r#"{"name": "customer_id", "type": "long", "doc": "Who ordered: a key of the customers table (schemas/customers.avsc), 1 in 20 unknown to it.", "arg.properties": {"references": "customers.customer_id", "hit_ratio": 0.95}}"#,
    );
    let watermark_at = blueprint.source.columns.len();
    blueprint
        .source
        .columns
        .insert(watermark_at, ColumnSpec::computed("proc_time", "PROCTIME()"));
    blueprint
        .source
        .comment
        .push("`proc_time` is the processing time the lookup join reads the customers table at.".to_owned());
    let [url, user, password] = DATABASE_VARIABLES;
    let mut sink = kafka_sink(
        kebab,
        "enriched_orders",
        "enriched-orders",
        "Sink: each order with its customer's name and tier (NULL for a customer the table lacks).",
        "`order_id` STRING NOT NULL,\n  `customer_id` BIGINT NOT NULL,\n  `amount` DECIMAL(10, 2) NOT NULL,\n  `customer_name` STRING,\n  `tier` STRING,\n  `event_time` TIMESTAMP(3) NOT NULL",
    );
    sink.sql = format!(
        r#"-- Dimension: the customers table in PostgreSQL. `pipegen run` creates and fills it
-- (`dimensions.customers` in .pipegen.yaml) and removes it after; for a table that stays,
-- run db/customers.postgres.sql. Its address and credentials come from the environment:
-- export {url} (jdbc:postgresql://host:5432/db), {user} and {password}.
-- The PARTIAL cache keeps up to 10,000 customers for 10 minutes, so most orders are
-- enriched without a round trip to the database.
CREATE TABLE `customers` (
  `customer_id` BIGINT,
  `name` STRING,
  `tier` STRING,
  PRIMARY KEY (`customer_id`) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = '${{{url}}}',
  'table-name' = 'customers',
  'username' = '${{{user}}}',
  'password' = '${{{password}}}',
  'lookup.cache' = 'PARTIAL',
  'lookup.partial-cache.max-rows' = '10000',
  'lookup.partial-cache.expire-after-write' = '10 min',
  'lookup.max-retries' = '3'
);

{}"#,
        sink.sql
    );
    blueprint.sink = sink;
    blueprint.pipeline_sql = ENRICHMENT_SQL.to_owned();
    blueprint.pipeline_summary = "Enriches each order with its customer's name and tier from a PostgreSQL table as the order comes: a processing-time lookup join (LEFT: an order of an unknown customer keeps NULLs), behind Flink's PARTIAL lookup cache. The run's report counts the lookups, cache hits and misses and times each lookup.".to_owned();
    blueprint.extra.push(ExtraFile {
        path: "schemas/customers.avsc".to_owned(),
        about: "AVRO schema of the customers table: which keys it holds (the orders' customer ids reference it)."
            .to_owned(),
        content: CUSTOMERS_SCHEMA.to_owned(),
    });
    blueprint.extra.push(ExtraFile {
        path: "db/customers.postgres.sql".to_owned(),
        about: "Creates and fills the customers table in PostgreSQL for good (psql -f db/customers.postgres.sql); `pipegen run` fills it for its own run without it.".to_owned(),
        content: CUSTOMERS_POSTGRES.to_owned(),
    });
    blueprint.config = DIMENSIONS_CONFIG.to_owned();
    blueprint.notes.push(format!(
        "the enrichment template reads PostgreSQL: export {url}, {user} and {password} before `pipegen run` (the run creates and fills the customers table, and removes it after)"
    ));
    blueprint
}

/// A Kafka sink table writing avro-confluent into `<project>-<topic>`.
fn kafka_sink(kebab: &str, table: &str, topic: &str, comment: &str, columns: &str) -> SinkSql {
    let topic = format!("{kebab}-{topic}");
    SinkSql {
        table: table.to_owned(),
        sql: format!(
            r#"-- {comment}
-- Column types follow Flink's result types for the pipeline's query.
CREATE TABLE `{table}` (
  {columns}
) WITH (
  'connector' = 'kafka',
  'topic' = '{topic}',
  'properties.bootstrap.servers' = '${{BOOTSTRAP_SERVERS}}',
  'format' = 'avro-confluent',
  'avro-confluent.url' = '${{SCHEMA_REGISTRY_URL}}'
);
"#
        ),
        topic,
    }
}

const DEDUP_SQL: &str = r#"-- Pipeline: each customer's first order in every 10-second tumbling window. Flink runs
-- ROW_NUMBER() = 1 over a window's rows, ordered by event time, as a window deduplication:
-- one row per customer and window, emitted when the window closes.
INSERT INTO `first_orders`
SELECT window_start, window_end, customer_id, order_id, amount, event_time
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, customer_id ORDER BY event_time ASC) AS rn
  FROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '10' SECOND))
)
WHERE rn = 1;
"#;

const TOPN_SQL: &str = r#"-- Pipeline: the three products with the most revenue in every 10-second tumbling window.
-- Flink runs ROW_NUMBER() <= 3 over a window aggregation's rows as a window Top-N: append-only,
-- emitted when the window closes.
INSERT INTO `top_products`
SELECT window_start, window_end, product_id, revenue, orders, rank_in_window
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY revenue DESC) AS rank_in_window
  FROM (
    SELECT window_start, window_end, product_id, SUM(amount) AS revenue, COUNT(*) AS orders
    FROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, product_id
  )
)
WHERE rank_in_window <= 3;
"#;

const ENRICHMENT_SQL: &str = r#"-- Pipeline: each order with its customer's name and tier, looked up in PostgreSQL as the
-- order comes (FOR SYSTEM_TIME AS OF the processing time: a lookup join). LEFT keeps an order
-- whose customer the table lacks, with NULLs.
INSERT INTO `enriched_orders`
SELECT o.order_id, o.customer_id, o.amount, c.name AS customer_name, c.tier, o.event_time
FROM `orders` AS o
LEFT JOIN `customers` FOR SYSTEM_TIME AS OF o.proc_time AS c
ON o.customer_id = c.customer_id;
"#;

const JOIN_SQL: &str = r#"-- Pipeline: each order with its payment, when the payment comes within 15 seconds of the order
-- (an interval join on event time: Flink keeps an order until the watermark passes its
-- 15-second bound, and emits a pair as soon as both sides are in). An order never paid within
-- the bound is not emitted.
INSERT INTO `paid_orders`
SELECT
  o.order_id,
  o.customer_id,
  o.amount,
  p.payment_id,
  p.method,
  o.event_time AS order_time,
  -- One time attribute per sink row: Flink refuses to write two rowtime columns.
  CAST(p.payment_time AS TIMESTAMP(3)) AS payment_time,
  TIMESTAMPDIFF(SECOND, o.event_time, p.payment_time) AS seconds_to_pay
FROM `orders` AS o
JOIN `payments` AS p
  ON o.order_id = p.order_id
  AND p.payment_time BETWEEN o.event_time AND o.event_time + INTERVAL '15' SECOND;
"#;

const PAYMENTS_SCHEMA_PATH: &str = "schemas/payments.avsc";

const PAYMENTS_SCHEMA: &str = r#"{
  "type": "record",
  "name": "Payment",
  "namespace": "{namespace}.events",
  "doc": "A payment for an order: 9 orders in 10 are paid, 0.2 to 12 seconds after they were placed.",
  "fields": [
    {"name": "payment_id", "type": {"type": "string", "logicalType": "uuid"}, "doc": "Unique payment id."},
    {"name": "order_id", "type": "string", "doc": "The order paid: `pipegen run` sends a payment for an order it sent.", "arg.properties": {"follows": "orders.order_id", "share": 0.9, "delay": {"min": "200ms", "max": "12s"}}},
    {"name": "method", "type": {"type": "enum", "name": "PaymentMethod", "symbols": ["CARD", "PAYPAL", "BANK_TRANSFER", "VOUCHER"]}},
    {"name": "payment_time", "type": {"type": "long", "logicalType": "timestamp-millis"}, "doc": "When the payment was made."}
  ]
}
"#;

const DIMENSIONS_CONFIG: &str = r#"
# Dimension tables `pipegen run` owns: created when missing, filled before the load with one
# row per key its schema allows (schemas/customers.avsc: ids 1 to 1000), and what the run made
# removed after (the table it created, or only the rows it inserted into an existing one).
dimensions:
  customers: {}
"#;

const CUSTOMERS_SCHEMA: &str = r#"{
  "type": "record",
  "name": "Customer",
  "doc": "A row of the customers table in PostgreSQL: ids 1 to 1000 (db/customers.postgres.sql).",
  "fields": [
    {"name": "customer_id", "type": "long", "arg.properties": {"range": {"min": 1, "max": 1001}}},
    {"name": "name", "type": "string"},
    {"name": "tier", "type": "string", "arg.properties": {"options": ["basic", "silver", "gold"]}}
  ]
}
"#;

const CUSTOMERS_POSTGRES: &str = r#"-- The customers table the enrichment pipeline looks orders up in: ids 1 to 1000, as
-- schemas/customers.avsc says. Run with: psql "$DATABASE" -f db/customers.postgres.sql
CREATE TABLE IF NOT EXISTS customers (
  customer_id BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  tier TEXT NOT NULL
);
INSERT INTO customers
SELECT i, 'customer ' || i, (ARRAY['basic', 'silver', 'gold'])[1 + i % 3]
FROM generate_series(1, 1000) AS i
ON CONFLICT (customer_id) DO NOTHING;
"#;
