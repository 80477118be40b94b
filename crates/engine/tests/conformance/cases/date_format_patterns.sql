-- DATE_FORMAT with several Java (SimpleDateFormat-style) patterns: day and month names, 12-hour
-- clock with AM/PM, day of year, milliseconds, quoted literals.

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
  DATE_FORMAT(ts, 'yyyy-MM-dd') AS iso_day,
  DATE_FORMAT(ts, 'EEE dd MMM yyyy, hh:mm:ss a') AS long_form,
  DATE_FORMAT(ts, 'D HHmmssSSS') AS day_of_year_time,
  DATE_FORMAT(ts, 'yyyyMMdd''T''HHmmss') AS compact,
  DATE_FORMAT(ts, 'EEEE, MMMM d') AS names,
  DATE_FORMAT(ts, 'yy/M/d H:m:s.S') AS short_fields
FROM texts
WHERE id <= 40;
