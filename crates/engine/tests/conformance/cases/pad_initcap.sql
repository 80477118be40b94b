-- LPAD, RPAD (including truncation to a shorter length) and INITCAP.

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

SELECT id,
  LPAD(CAST(id AS STRING), 5, '0') AS padded_id,
  RPAD(body, 12, '.') AS right_padded,
  LPAD(body, 4, '*') AS left_cut,
  RPAD(code, 6, '-=') AS code_padded,
  INITCAP(body) AS initcap
FROM texts
WHERE id <= 60;
