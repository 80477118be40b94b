-- An aggregate without GROUP BY: one row, updated with every input row that passes the filter.

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

SELECT COUNT(*) AS refunds, SUM(amount) AS refunded, AVG(amount) AS average, MIN(ts) AS first_ts
FROM orders
WHERE status = 'REFUNDED';
