-- OVER aggregation, ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW: a running count and total
-- per product.

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
  COUNT(*) OVER w AS running_orders,
  SUM(amount) OVER w AS running_revenue
FROM orders
WHERE currency IN ('GBP', 'JPY')
WINDOW w AS (PARTITION BY product ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
