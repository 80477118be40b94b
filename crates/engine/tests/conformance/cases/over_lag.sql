-- LAG with the default frame (its only accepted frame), with an offset and a default value cast
-- to the column's type. (With a NOT NULL default Flink types the result NOT NULL, and its job
-- fails on a NULL amount: the filter keeps NULLs out.)

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

SELECT order_id, user_id, amount, ts,
  LAG(amount) OVER (PARTITION BY user_id ORDER BY ts) AS previous_amount,
  LAG(amount, 2, CAST(0 AS DECIMAL(10, 2))) OVER (PARTITION BY user_id ORDER BY ts) AS amount_two_back
FROM orders
WHERE user_id <= 8 AND amount IS NOT NULL;
