-- ARRAY_AGG and ARRAY_AGG(DISTINCT) in a TUMBLE window: elements in arrival order, DISTINCT in
-- first-occurrence order.

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
  ARRAY_AGG(product) AS products, ARRAY_AGG(DISTINCT status) AS statuses
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
WHERE currency = 'JPY'
GROUP BY window_start, window_end;
