-- GREATEST and LEAST over DECIMAL, DOUBLE and STRING arguments (NULL if any argument is NULL).
-- (GREATEST(amount, 0), with an INT literal, fails at run time in Flink 2.1 with a
-- NullPointerException when amount is NULL; 0.00 does not.)

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

SELECT id, amount, score,
  GREATEST(amount, 0.00) AS non_negative,
  LEAST(amount, 100.5) AS capped,
  GREATEST(score, 100.0, CAST(id AS DOUBLE)) AS greatest_double,
  LEAST(body, code) AS least_text,
  GREATEST(body, 'm') AS greatest_text
FROM texts
WHERE id <= 50;
