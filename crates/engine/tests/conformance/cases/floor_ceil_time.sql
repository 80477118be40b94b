-- FLOOR and CEIL of timestamps to MINUTE, HOUR, DAY and MONTH, and DATE_FORMAT with a simple
-- pattern.

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
  FLOOR(ts TO MINUTE) AS minute_floor, CEIL(ts TO MINUTE) AS minute_ceil,
  FLOOR(ts TO HOUR) AS hour_floor, CEIL(ts TO HOUR) AS hour_ceil,
  FLOOR(ts TO DAY) AS day_floor, FLOOR(ts TO MONTH) AS month_floor,
  DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm') AS minute_text
FROM texts
WHERE id <= 40;
