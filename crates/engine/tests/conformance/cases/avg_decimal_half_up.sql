-- AVG of DECIMAL(10, 2) is DECIMAL(38, 6), rounded half-up when the exact mean needs more
-- places (e.g. a sum divided by 3, 7 or 9).

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

SELECT product, COUNT(amount) AS n, SUM(amount) AS total, AVG(amount) AS average
FROM orders
WHERE user_id <= 3
GROUP BY product;
