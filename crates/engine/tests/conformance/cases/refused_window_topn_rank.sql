-- expect: error
-- Flink refuses RANK() in a window Top-N (only ROW_NUMBER() is supported).

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

SELECT *
FROM (
  SELECT window_start, window_end, order_id, amount,
    RANK() OVER (PARTITION BY window_start, window_end ORDER BY amount DESC) AS r
  FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
)
WHERE r <= 3;
