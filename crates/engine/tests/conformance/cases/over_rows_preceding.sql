-- OVER aggregation, ROWS BETWEEN 2 PRECEDING AND CURRENT ROW per user on event time: rows are
-- emitted in ts order as the watermark passes them; a row is dropped when its ts is <= the
-- largest ts of its key already emitted.

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

SELECT order_id, user_id, amount, ts,
  SUM(amount) OVER (PARTITION BY user_id ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS last3_total,
  COUNT(*) OVER (PARTITION BY user_id ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS last3_count
FROM orders;
