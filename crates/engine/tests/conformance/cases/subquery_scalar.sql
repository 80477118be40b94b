-- A scalar subquery over an updating aggregate: orders larger than the largest refund so far
-- (rows are retracted as the maximum grows).

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

SELECT order_id, product, amount
FROM orders
WHERE amount > (SELECT MAX(amount) FROM orders WHERE status = 'REFUNDED');
