-- TIMESTAMPADD and TIMESTAMPDIFF (INTEGER) with several units across month ends and a leap
-- day, and interval arithmetic on timestamps.

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
  TIMESTAMPADD(MINUTE, 90, ts) AS plus_90_min,
  TIMESTAMPADD(DAY, -1, ts) AS minus_1_day,
  TIMESTAMPADD(MONTH, 1, ts) AS plus_1_month,
  TIMESTAMPADD(YEAR, 1, ts) AS plus_1_year,
  TIMESTAMPDIFF(SECOND, ts, TIMESTAMP '2024-03-01 00:00:00') AS seconds_to_march,
  TIMESTAMPDIFF(DAY, ts, TIMESTAMP '2024-03-01 00:00:00') AS days_to_march,
  TIMESTAMPDIFF(MONTH, TIMESTAMP '2024-01-31 00:00:00', ts) AS months_since_jan31,
  ts + INTERVAL '1' HOUR AS plus_hour,
  ts - INTERVAL '2' DAY AS minus_2_days
FROM texts
WHERE id <= 40;
