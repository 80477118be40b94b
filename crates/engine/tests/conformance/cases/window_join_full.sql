-- Window join (FULL OUTER) over 2-minute TUMBLE windows: JPY orders and voucher or bank-transfer
-- payments, each side padded where the window has no partner.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

CREATE TABLE payments (
  payment_id BIGINT,
  order_id BIGINT,
  amount DECIMAL(10, 2),
  pay_method STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/payments.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT COALESCE(o.window_start, p.window_start) AS window_start,
  COALESCE(o.window_end, p.window_end) AS window_end,
  o.order_id, o.currency, p.payment_id, p.pay_method
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
  WHERE currency = 'JPY'
) AS o
FULL OUTER JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
  WHERE pay_method IN ('voucher', 'bank_transfer')
) AS p
  ON o.order_id = p.order_id AND o.window_start = p.window_start AND o.window_end = p.window_end;
