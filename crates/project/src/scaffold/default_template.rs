//! The default project: order events aggregated per category in 10-second tumbling windows.

use crate::name::ProjectName;

/// A realistic event record: ids, an enum category, a decimal amount, an event time.
pub fn input_schema(name: &ProjectName) -> String {
    format!(
        r#"{{
  "type": "record",
  "name": "OrderEvent",
  "namespace": "{namespace}.events",
  "doc": "One order placed in the shop.",
  "fields": [
    {{"name": "order_id", "type": {{"type": "string", "logicalType": "uuid"}}, "doc": "Unique order id."}},
    {{"name": "customer_id", "type": "long", "doc": "Who ordered."}},
    {{"name": "product_id", "type": "string", "doc": "What was ordered."}},
    {{"name": "category", "type": {{"type": "enum", "name": "Category", "symbols": ["ELECTRONICS", "BOOKS", "CLOTHING", "HOME", "TOYS"]}}}},
    {{"name": "quantity", "type": "int"}},
    {{"name": "amount", "type": {{"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}}, "doc": "Order total."}},
    {{"name": "currency", "type": "string"}},
    {{"name": "coupon_code", "type": ["null", "string"], "default": null, "doc": "Set when a coupon was used."}},
    {{"name": "event_time", "type": {{"type": "long", "logicalType": "timestamp-millis"}}, "doc": "When the order was placed."}}
  ]
}}
"#,
        namespace = name.identifier()
    )
}

pub const SOURCE_TABLE: &str = "orders";
pub const SINK_TABLE: &str = "order_stats";

pub fn sink_sql(name: &ProjectName) -> String {
    format!(
        r#"-- Sink: order statistics per category and 10-second window, written to `{kebab}-order-stats`.
-- Column types follow Flink's result types: COUNT(*) is BIGINT NOT NULL, SUM(INT) is INT and
-- SUM(DECIMAL(10, 2)) is DECIMAL(38, 2), both nullable.
CREATE TABLE `order_stats` (
  `window_start` TIMESTAMP(3) NOT NULL,
  `window_end` TIMESTAMP(3) NOT NULL,
  `category` STRING NOT NULL,
  `order_count` BIGINT NOT NULL,
  `total_quantity` INT,
  `total_amount` DECIMAL(38, 2)
) WITH (
  'connector' = 'kafka',
  'topic' = '{kebab}-order-stats',
  'properties.bootstrap.servers' = '${{BOOTSTRAP_SERVERS}}',
  'format' = 'avro-confluent',
  'avro-confluent.url' = '${{SCHEMA_REGISTRY_URL}}'
);
"#,
        kebab = name.kebab()
    )
}

pub const PIPELINE_SQL: &str = r#"-- Pipeline: count orders, items and revenue per category in 10-second tumbling windows.
-- A window's row is emitted once the watermark (event time - 5 s) passes the window's end.
INSERT INTO `order_stats`
SELECT
  window_start,
  window_end,
  category,
  COUNT(*) AS order_count,
  SUM(quantity) AS total_quantity,
  SUM(amount) AS total_amount
FROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, category;
"#;
