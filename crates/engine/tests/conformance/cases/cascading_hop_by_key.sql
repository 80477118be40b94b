-- Cascading windows by key: a 4-minute HOP (1-minute slide) per product over a 1-minute
-- TUMBLE per product and currency, with DECIMAL averages summed again (exact: a DOUBLE sum
-- here depends on the order Flink's timers fire the inner window's keys, and on parallelism).

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
SELECT window_time AS minute_time, product, currency, COUNT(*) AS orders,
  AVG(amount) AS avg_amount
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, window_time, product, currency;

SELECT window_start, window_end, product, SUM(orders) AS orders, SUM(avg_amount) AS summed_avgs,
  MAX(avg_amount) AS best_avg
FROM TABLE(HOP(TABLE per_minute, DESCRIPTOR(minute_time), INTERVAL '1' MINUTE, INTERVAL '4' MINUTE))
GROUP BY window_start, window_end, product;
