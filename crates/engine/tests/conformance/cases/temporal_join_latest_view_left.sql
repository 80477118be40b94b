-- Event-time temporal LEFT join against the deduplicated price view: tablet orders before its
-- first price are padded with NULL.

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

CREATE TABLE prices (
  product STRING,
  price DECIMAL(10, 2),
  valid_from TIMESTAMP(3),
  WATERMARK FOR valid_from AS valid_from - INTERVAL '3' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/prices.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

CREATE TEMPORARY VIEW latest_prices AS
SELECT product, price, valid_from
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY product ORDER BY valid_from DESC) AS rn
  FROM prices
)
WHERE rn = 1;

SELECT o.order_id, o.product, o.ts, p.price, p.valid_from
FROM orders AS o
LEFT JOIN latest_prices FOR SYSTEM_TIME AS OF o.ts AS p ON o.product = p.product
WHERE o.product IN ('tablet', 'stand');
