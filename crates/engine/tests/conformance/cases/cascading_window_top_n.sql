-- A window Top-N over cascading windows: the two busiest statuses of each 5-minute window,
-- counted over a 1-minute TUMBLE aggregation.

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

CREATE TEMPORARY VIEW per_minute AS
SELECT window_time, status, COUNT(*) AS orders
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, window_time, status;

SELECT window_start, window_end, status, orders, rn
FROM (
  SELECT window_start, window_end, status, SUM(orders) AS orders,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY SUM(orders) DESC, status) AS rn
  FROM TABLE(TUMBLE(TABLE per_minute, DESCRIPTOR(window_time), INTERVAL '5' MINUTE))
  GROUP BY window_start, window_end, status
)
WHERE rn <= 2;
