-- Several aggregates over one ROWS window: COUNT, SUM, MIN, MAX, AVG of the last 5 orders per
-- product.

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

SELECT order_id, product, amount, ts,
  COUNT(amount) OVER w AS n, SUM(amount) OVER w AS total, MIN(amount) OVER w AS smallest,
  MAX(amount) OVER w AS largest, AVG(amount) OVER w AS average
FROM orders
WHERE product IN ('keyboard', 'webcam')
WINDOW w AS (PARTITION BY product ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW);
