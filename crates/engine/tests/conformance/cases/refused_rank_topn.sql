-- expect: error
-- Flink refuses RANK() Top-N on a stream.

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

SELECT product, order_id, amount
FROM (
  SELECT product, order_id, amount, RANK() OVER (PARTITION BY product ORDER BY amount DESC) AS r
  FROM orders
)
WHERE r <= 3;
