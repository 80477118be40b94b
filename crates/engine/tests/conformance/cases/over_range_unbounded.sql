-- OVER aggregation with the default frame (RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
-- per currency, over a DOUBLE and a DECIMAL.

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

SELECT order_id, currency, amount, ts,
  SUM(amount) OVER (PARTITION BY currency ORDER BY ts) AS running_total,
  MAX(CAST(amount AS DOUBLE)) OVER (PARTITION BY currency ORDER BY ts) AS running_max
FROM orders
WHERE product = 'monitor';
