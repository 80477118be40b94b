-- INSERT into a jdbc table without a PRIMARY KEY: the rows appended, as Flink's jdbc sink
-- appends them; the result is the table PostgreSQL holds after the job.

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

CREATE TABLE paid_orders (
  order_id BIGINT,
  user_id BIGINT,
  amount DECIMAL(10, 2),
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'jdbc',
  'url' = '${JDBC_URL}',
  'table-name' = 'paid_orders',
  'username' = '${JDBC_USER}',
  'password' = '${JDBC_PASSWORD}'
);

INSERT INTO paid_orders
SELECT order_id, user_id, amount, ts FROM orders WHERE status = 'PAID';
