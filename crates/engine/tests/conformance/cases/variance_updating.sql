-- VAR_SAMP and STDDEV_POP of DECIMAL(10, 2) in an updating GROUP BY (each change retracts the
-- previous value).

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

SELECT coupon, COUNT(*) AS n, VAR_SAMP(amount) AS v_samp, STDDEV_POP(amount) AS sd_pop
FROM orders
WHERE coupon IS NOT NULL AND product = 'headset'
GROUP BY coupon;
