-- EXCEPT ALL on small inputs: statuses of user 3's orders, minus as many of each as user 4 has.

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

SELECT status FROM orders WHERE user_id = 3
EXCEPT ALL
SELECT status FROM orders WHERE user_id = 4;
