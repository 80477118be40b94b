-- The dimension tables of the cases that read a `jdbc` table, loaded into PostgreSQL from the
-- corpus's own files (run by psql with data/ as its working directory): users.csv as it is,
-- and a product catalog. Not every product is in the catalog (`tablet` and `webcam` miss),
-- and one category is NULL.
CREATE TABLE users (
  user_id BIGINT PRIMARY KEY,
  name TEXT,
  email TEXT,
  country TEXT,
  tier TEXT,
  credit NUMERIC(10, 2)
);
\copy users FROM 'users.csv' WITH (FORMAT csv, NULL '')

CREATE TABLE products (
  product TEXT PRIMARY KEY,
  category TEXT,
  list_price NUMERIC(10, 2),
  in_stock BOOLEAN
);
INSERT INTO products VALUES
  ('cable', 'accessories', 9.99, TRUE),
  ('charger', 'accessories', 24.50, TRUE),
  ('dock', 'accessories', 129.00, FALSE),
  ('headset', 'audio', 79.90, TRUE),
  ('keyboard', 'input', 49.00, TRUE),
  ('laptop', 'computers', 1299.00, TRUE),
  ('monitor', 'displays', 289.99, FALSE),
  ('mouse', 'input', 19.95, TRUE),
  ('speaker', NULL, 59.00, TRUE),
  ('stand', 'accessories', 34.00, NULL);

-- Empty tables the INSERT cases write (each emptied before a case runs): an append-only copy
-- without a key, per-user totals upserted by key, per-product counts, and per-user order
-- counts that a filter turns into deletions.
CREATE TABLE paid_orders (
  order_id BIGINT,
  user_id BIGINT,
  amount NUMERIC(10, 2),
  ts TIMESTAMP(3)
);

CREATE TABLE user_totals (
  user_id BIGINT PRIMARY KEY,
  orders BIGINT NOT NULL,
  total NUMERIC(38, 2),
  last_ts TIMESTAMP(3)
);

CREATE TABLE product_windows (
  product TEXT,
  window_start TIMESTAMP(3),
  orders BIGINT,
  revenue NUMERIC(38, 2),
  PRIMARY KEY (product, window_start)
);

CREATE TABLE light_users (
  user_id BIGINT PRIMARY KEY,
  orders BIGINT
);
