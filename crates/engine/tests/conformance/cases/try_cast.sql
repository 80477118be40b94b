-- TRY_CAST from strings to INT, BIGINT, DECIMAL(6, 1) (rounding half-up), DOUBLE and BOOLEAN:
-- NULL where the text does not parse.

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

SELECT id, code,
  TRY_CAST(code AS INT) AS as_int,
  TRY_CAST(code AS BIGINT) AS as_bigint,
  TRY_CAST(code AS DECIMAL(6, 1)) AS as_decimal,
  TRY_CAST(code AS DOUBLE) AS as_double,
  TRY_CAST(code AS BOOLEAN) AS as_boolean
FROM texts
WHERE id <= 60;
