-- Window deduplication keep-last: the last order per product in each 5-minute TUMBLE window
-- (the TUMBLE drop rule applies).

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

SELECT window_start, window_end, product, order_id, status, ts
FROM (
  SELECT window_start, window_end, product, order_id, status, ts,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, product ORDER BY ts DESC) AS rn
  FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
)
WHERE rn = 1;
