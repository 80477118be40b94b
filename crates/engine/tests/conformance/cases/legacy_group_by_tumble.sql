-- Legacy group window: GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE) with TUMBLE_START and TUMBLE_END
-- (the TUMBLE drop rule: a row is dropped when its window's end - 1 ms <= watermark).

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

SELECT TUMBLE_START(ts, INTERVAL '1' MINUTE) AS window_start,
  TUMBLE_END(ts, INTERVAL '1' MINUTE) AS window_end,
  status, COUNT(*) AS orders, SUM(amount) AS total
FROM orders
GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status;
