-- AVG of DECIMAL(10, 2) over groups of 32 orders: a sum of an odd number of cents divided by 32
-- ends in a 5 at the 7th decimal place, where half-up (Flink) and half-even rounding differ.
-- The key (order_id - 1) / 32 is an integer division.

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

SELECT (order_id - 1) / 32 AS bucket, COUNT(amount) AS n, SUM(amount) AS total, AVG(amount) AS average
FROM orders
WHERE order_id <= 320
GROUP BY (order_id - 1) / 32;
