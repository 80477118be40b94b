-- expect: error
-- Cascading windows, every column: Flink refuses `*` when the window and the view under it
-- both have window columns (ambiguous names).

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

CREATE TEMPORARY VIEW per_two_minutes AS
SELECT window_start, window_end, window_time, status, COUNT(*) AS orders
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
GROUP BY window_start, window_end, window_time, status;

SELECT *
FROM TABLE(TUMBLE(TABLE per_two_minutes, DESCRIPTOR(window_time), INTERVAL '10' MINUTE));
