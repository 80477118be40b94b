-- ORDER BY the rowtime ascending (a streaming temporal sort), with a second sort key: rows come
-- out in ts order as the watermark passes them.

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

SELECT order_id, product, amount, ts
FROM orders
WHERE product = 'laptop'
ORDER BY ts, amount DESC;
