-- Window deduplication keep-first over CUMULATE windows (step 1 min, max 3 min): the first
-- order per currency in each step.

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

SELECT window_start, window_end, currency, order_id, ts
FROM (
  SELECT window_start, window_end, currency, order_id, ts,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, currency ORDER BY ts ASC) AS rn
  FROM TABLE(CUMULATE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE))
)
WHERE rn = 1;
