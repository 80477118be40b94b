-- STDDEV_POP, STDDEV_SAMP, VAR_POP and VAR_SAMP of DECIMAL(10, 2) in a TUMBLE window
-- (DECIMAL(38, 6), rounded half-up; the sample forms are NULL for one row).

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

SELECT window_start, window_end, product, COUNT(amount) AS n,
  STDDEV_POP(amount) AS sd_pop, STDDEV_SAMP(amount) AS sd_samp,
  VAR_POP(amount) AS v_pop, VAR_SAMP(amount) AS v_samp
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTE))
GROUP BY window_start, window_end, product;
