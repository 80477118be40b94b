-- Cascading windows: a 5-minute TUMBLE over the window_time of a 1-minute TUMBLE aggregation
-- in a view.

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
SELECT window_start AS minute_start, window_time, product, COUNT(*) AS orders, SUM(amount) AS revenue
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, window_time, product;

SELECT window_start, window_end, SUM(orders) AS orders, SUM(revenue) AS revenue,
  MAX(revenue) AS best_product_minute, COUNT(*) AS product_minutes
FROM TABLE(TUMBLE(TABLE per_minute, DESCRIPTOR(window_time), INTERVAL '5' MINUTE))
GROUP BY window_start, window_end;
