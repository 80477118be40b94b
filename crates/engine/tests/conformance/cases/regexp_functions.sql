-- REGEXP_EXTRACT (with and without a group index; NULL when nothing matches), REGEXP_REPLACE and
-- REGEXP.

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

SELECT id, body,
  REGEXP_EXTRACT(body, '(?i)ORD-([0-9]+)-([A-Z]+)', 2) AS region,
  REGEXP_EXTRACT(body, '([0-9]+)', 1) AS first_number,
  REGEXP_EXTRACT(body, '[a-z]+@[a-z]+', 0) AS mail_part,
  REGEXP_REPLACE(body, '[aeiou]', '*') AS no_vowels,
  REGEXP_REPLACE(body, '\s+', ' ') AS one_space,
  REGEXP(body, '^[a-z ]+$') AS lower_words
FROM texts
WHERE id <= 60;
