-- The named WINDOW clause with a RANGE frame of 30 seconds per status.

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

SELECT order_id, status, ts,
  COUNT(*) OVER w AS recent, MAX(amount) OVER w AS recent_max
FROM orders
WHERE status IN ('CANCELLED', 'REFUNDED')
WINDOW w AS (PARTITION BY status ORDER BY ts RANGE BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW);
