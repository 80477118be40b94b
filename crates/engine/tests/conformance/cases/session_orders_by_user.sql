-- SESSION window TVF with PARTITION BY (2 min gap) over orders, whose user_id is sometimes NULL
-- (NULL is one partition of its own).

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

SELECT window_start, window_end, user_id, COUNT(*) AS orders, SUM(amount) AS spent
FROM TABLE(SESSION(TABLE orders PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
GROUP BY window_start, window_end, user_id;
