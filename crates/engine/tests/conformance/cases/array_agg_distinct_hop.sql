-- ARRAY_AGG(DISTINCT ...) over HOP windows: Flink merges each slice's distinct values into
-- its windows in the order of the partial's hash map.

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

SELECT window_start, window_end, ARRAY_AGG(DISTINCT status) AS statuses, COUNT(*) AS orders
FROM TABLE(HOP(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE))
WHERE currency = 'GBP'
GROUP BY window_start, window_end;
