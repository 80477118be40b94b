-- ROLLUP in a TUMBLE window aggregation, with GROUPING() per column (the TUMBLE drop rule).

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

SELECT window_start, window_end, currency, status, COUNT(*) AS orders, SUM(amount) AS total,
  GROUPING(currency) AS g_currency, GROUPING(status) AS g_status
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTE))
GROUP BY window_start, window_end, ROLLUP (currency, status);
