-- TUMBLE window TVF (1 minute) with COUNT/SUM/MIN/MAX/AVG over out-of-order rows: a row is
-- dropped when its window's end - 1 ms is at or behind the watermark when it arrives.

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

SELECT window_start, window_end,
  COUNT(*) AS orders, COUNT(amount) AS priced, SUM(amount) AS total,
  MIN(amount) AS smallest, MAX(amount) AS largest, AVG(amount) AS average, MAX(ts) AS last_ts
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end;
