-- Legacy group window: GROUP BY HOP(ts, slide 1 min, size 3 min) with HOP_START and HOP_END.

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

SELECT HOP_START(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE) AS window_start,
  HOP_END(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE) AS window_end,
  COUNT(*) AS orders, MAX(amount) AS largest
FROM orders
GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE);
