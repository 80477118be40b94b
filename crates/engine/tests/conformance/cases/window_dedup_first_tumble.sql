-- Window deduplication keep-first: the first order (by event time) per user in each 5-minute
-- TUMBLE window.

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

SELECT window_start, window_end, user_id, order_id, ts
FROM (
  SELECT window_start, window_end, user_id, order_id, ts,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, user_id ORDER BY ts ASC) AS rn
  FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
)
WHERE rn = 1;
