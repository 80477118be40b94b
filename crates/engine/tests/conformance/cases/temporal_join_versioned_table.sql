-- Event-time temporal join against a versioned table (rates has PRIMARY KEY ... NOT ENFORCED and
-- a watermark): each order takes the rate version with the largest valid_from <= o.ts (orders
-- at exactly a change take the new version). Orders without a version (CHF, early JPY) are
-- dropped. 3-minute watermark delay on both sides.

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

CREATE TABLE rates (
  currency STRING,
  rate DECIMAL(10, 4),
  valid_from TIMESTAMP(3),
  PRIMARY KEY (currency) NOT ENFORCED,
  WATERMARK FOR valid_from AS valid_from - INTERVAL '3' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rates.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT o.order_id, o.currency, o.amount, r.rate, o.amount * r.rate AS converted, r.valid_from, o.ts
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency
WHERE o.order_id % 4 = 1;
