-- The guide's OPTIONS hint after SELECT (a query hint, where Flink takes only table hints).

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

SELECT /*+ OPTIONS('sink.parallelism'='8') */ user_id, SUM(amount) AS total
FROM orders
GROUP BY user_id;
