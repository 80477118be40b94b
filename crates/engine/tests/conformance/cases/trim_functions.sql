-- TRIM BOTH/LEADING/TRAILING (of spaces and of other characters), LTRIM and RTRIM; brackets show
-- the kept spaces.

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
  '[' || body || ']' AS original,
  '[' || TRIM(body) || ']' AS trimmed,
  '[' || TRIM(LEADING ' ' FROM body) || ']' AS leading_trimmed,
  '[' || TRIM(TRAILING ' ' FROM body) || ']' AS trailing_trimmed,
  TRIM(BOTH 'x' FROM body) AS x_trimmed,
  '[' || LTRIM(code) || ']' AS ltrimmed,
  '[' || RTRIM(code) || ']' AS rtrimmed
FROM texts
WHERE id <= 60;
