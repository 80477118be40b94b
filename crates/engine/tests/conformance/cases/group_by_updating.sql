-- GROUP BY without a window: an updating aggregate (-U/+U for every change of a key), with
-- NULL as a group key of its own.

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

SELECT user_id, COUNT(*) AS orders, SUM(amount) AS spent, MAX(amount) AS largest
FROM orders
GROUP BY user_id;
