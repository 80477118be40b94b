-- CAST between types: DECIMAL to INT/BIGINT (truncating), to DOUBLE, to a smaller DECIMAL
-- (rounding half-up); numbers and timestamps to STRING; TIMESTAMP to DATE and TIME.

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

SELECT order_id,
  CAST(amount AS INT) AS amount_int, CAST(amount AS BIGINT) AS amount_bigint,
  CAST(amount AS DOUBLE) AS amount_double, CAST(amount AS DECIMAL(6, 1)) AS amount_1dp,
  CAST(order_id AS STRING) AS id_text, CAST(user_id AS STRING) AS user_text,
  CAST(ts AS DATE) AS order_day, CAST(ts AS TIME) AS time_of_day, CAST(ts AS STRING) AS ts_text,
  CAST(CAST(ts AS DATE) AS STRING) AS day_text
FROM orders
WHERE order_id % 25 = 0 OR amount IS NULL;
