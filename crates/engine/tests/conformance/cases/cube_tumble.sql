-- CUBE in a TUMBLE window aggregation.

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

SELECT window_start, window_end, status, coupon, COUNT(*) AS orders, MAX(amount) AS largest,
  GROUPING_ID(status, coupon) AS gid
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTE))
WHERE status IN ('CANCELLED', 'REFUNDED')
GROUP BY window_start, window_end, CUBE (status, coupon);
