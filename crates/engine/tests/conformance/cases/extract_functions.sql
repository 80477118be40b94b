-- EXTRACT of each field from timestamps at calendar edges (leap day, year ends), plus QUARTER,
-- DAYOFWEEK, DAYOFYEAR and WEEK; EXTRACT gives BIGINT.

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

SELECT id, ts,
  EXTRACT(YEAR FROM ts) AS y, EXTRACT(MONTH FROM ts) AS mo, EXTRACT(DAY FROM ts) AS d,
  EXTRACT(HOUR FROM ts) AS h, EXTRACT(MINUTE FROM ts) AS mi, EXTRACT(SECOND FROM ts) AS s,
  EXTRACT(MILLISECOND FROM ts) AS ms,
  QUARTER(ts) AS q, DAYOFWEEK(ts) AS dow, DAYOFYEAR(ts) AS doy, WEEK(ts) AS wk
FROM texts
WHERE id <= 40;
