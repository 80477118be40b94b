-- POWER, SQRT, LN, LOG10, EXP and MOD on DOUBLE and integer columns, including LN(0).

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

SELECT id, score,
  POWER(score, 2) AS squared, POWER(2, CAST(id % 10 AS DOUBLE)) AS two_to_the,
  SQRT(score) AS root, LN(score) AS ln_score, LOG10(score) AS log10_score,
  EXP(score / 1000) AS exp_score, MOD(id, 7) AS id_mod_7
FROM texts
WHERE id <= 60;
