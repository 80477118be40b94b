-- INTERSECT ALL on small inputs: products bought by user 7 as often as by user 8 (the smaller
-- multiplicity of each product).

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

SELECT product FROM orders WHERE user_id = 7
INTERSECT ALL
SELECT product FROM orders WHERE user_id = 8;
