-- GROUP BY two keys with HAVING: a group appears once it has 20 orders, and updates after that.

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

SELECT product, status, COUNT(*) AS orders, SUM(amount) AS revenue
FROM orders
GROUP BY product, status
HAVING COUNT(*) >= 20;
