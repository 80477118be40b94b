-- LISTAGG in a TUMBLE window: values in arrival (file) order; LISTAGG(DISTINCT) in
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
  LISTAGG(product, ';') AS products, LISTAGG(DISTINCT status) AS statuses
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
WHERE currency = 'GBP'
GROUP BY window_start, window_end;
