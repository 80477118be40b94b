-- INSERT of a result that deletes rows into a jdbc table with a PRIMARY KEY: users with fewer
-- than 36 orders; a user's row goes away from PostgreSQL once the count reaches 36 (the
-- filter over the aggregation retracts it): most users' rows come and go, a few stay.

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

CREATE TABLE light_users (
  user_id BIGINT,
  orders BIGINT,
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = '${JDBC_URL}',
  'table-name' = 'light_users',
  'username' = '${JDBC_USER}',
  'password' = '${JDBC_PASSWORD}'
);

INSERT INTO light_users
SELECT user_id, orders
FROM (SELECT user_id, COUNT(*) AS orders FROM orders WHERE user_id IS NOT NULL GROUP BY user_id)
WHERE orders < 36;
