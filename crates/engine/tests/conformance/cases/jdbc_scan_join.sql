-- A regular join of a stream with a jdbc table read whole: orders with their product's
-- catalog row (products missing from the catalog drop out), revenue per category.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

CREATE TABLE products (
  product STRING,
  category STRING,
  list_price DECIMAL(10, 2),
  in_stock BOOLEAN,
  PRIMARY KEY (product) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = '${JDBC_URL}',
  'table-name' = 'products',
  'username' = '${JDBC_USER}',
  'password' = '${JDBC_PASSWORD}'
);

SELECT p.category, COUNT(*) AS orders, SUM(o.amount) AS revenue
FROM orders AS o
JOIN products AS p ON o.product = p.product
GROUP BY p.category;
