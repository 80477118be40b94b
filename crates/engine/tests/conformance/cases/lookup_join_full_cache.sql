-- 'lookup.cache' = 'FULL' on a jdbc table, on a STRING key: Flink's jdbc connector takes it and
-- looks every key up in the database, as without a cache.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3),
  proc_time AS PROCTIME()
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
  'password' = '${JDBC_PASSWORD}',
  'lookup.cache' = 'FULL'
);

SELECT o.order_id, o.product, p.category, p.list_price
FROM orders AS o
JOIN products FOR SYSTEM_TIME AS OF o.proc_time AS p
ON o.product = p.product
WHERE o.amount > 300;
