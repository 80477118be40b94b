-- expect: error
-- The guide's USE_HASH_AGG query hint: a hint Flink does not know.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3),
  proc_time AS PROCTIME()
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT /*+ USE_HASH_AGG */ user_id, SUM(amount) AS total
FROM orders
GROUP BY user_id;
