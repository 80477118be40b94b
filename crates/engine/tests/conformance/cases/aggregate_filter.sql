-- Aggregate FILTER (WHERE ...) clauses in a TUMBLE window, on COUNT, SUM and COUNT(DISTINCT).

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
  COUNT(*) AS orders,
  COUNT(*) FILTER (WHERE status = 'PAID') AS paid,
  SUM(amount) FILTER (WHERE coupon IS NOT NULL) AS with_coupon_total,
  COUNT(DISTINCT user_id) FILTER (WHERE currency = 'EUR') AS eur_buyers,
  MAX(amount) FILTER (WHERE product = 'laptop') AS largest_laptop
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
GROUP BY window_start, window_end;
