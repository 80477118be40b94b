-- ROUND (to positive, zero and negative places), TRUNCATE, CEIL, FLOOR, SIGN and ABS on
-- DECIMAL(10, 2) (with their result types), and ROUND on DOUBLE.

CREATE TABLE texts (
  id INT,
  body STRING,
  code STRING,
  payload STRING,
  amount DECIMAL(10, 2),
  score DOUBLE,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/texts.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT id, amount,
  ROUND(amount, 1) AS round_1, ROUND(amount, 0) AS round_0, ROUND(amount, -1) AS round_minus_1,
  ROUND(amount / 3, 2) AS third_round_2,
  TRUNCATE(amount, 1) AS truncate_1, TRUNCATE(amount, 0) AS truncate_0,
  CEIL(amount) AS ceil_amount, FLOOR(amount) AS floor_amount,
  SIGN(amount) AS sign_amount, ABS(amount) AS abs_amount,
  ROUND(score, 1) AS score_round_1
FROM texts
WHERE id <= 80;
