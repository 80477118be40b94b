-- expect: error
-- Flink refuses OVER frames that end after the current row (ROWS ... FOLLOWING).

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

SELECT order_id,
  SUM(amount) OVER (PARTITION BY user_id ORDER BY ts ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) AS next3
FROM orders;
