-- CREATE TEMPORARY VIEW over another temporary view; a TUMBLE window over the second view
-- (the rowtime attribute passes through both views).

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

CREATE TEMPORARY VIEW settled AS
SELECT order_id, user_id, amount, currency, ts FROM orders WHERE status IN ('PAID', 'SHIPPED');

CREATE TEMPORARY VIEW settled_eur AS
SELECT order_id, user_id, amount, ts FROM settled WHERE currency = 'EUR';

SELECT window_start, window_end, COUNT(*) AS orders, SUM(amount) AS total
FROM TABLE(TUMBLE(TABLE settled_eur, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
GROUP BY window_start, window_end;
