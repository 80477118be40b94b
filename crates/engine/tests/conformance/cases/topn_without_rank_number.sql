-- Top-N whose rank number is not selected: Flink then emits rows entering and leaving the top
-- (+I/-D) rather than updates of rank positions. The 2 most recent orders per currency.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT currency, order_id, ts
FROM (
  SELECT currency, order_id, ts,
    ROW_NUMBER() OVER (PARTITION BY currency ORDER BY ts DESC) AS rn
  FROM orders
)
WHERE rn <= 2;
