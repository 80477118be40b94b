-- POSITION, LOCATE (with a start position; 0 when not found), REPLACE, SUBSTR and SUBSTRING.

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
  POSITION('o' IN body) AS pos_o,
  LOCATE('o', body) AS locate_o,
  LOCATE('o', body, 6) AS locate_o_from_6,
  REPLACE(body, ' ', '_') AS underscored,
  SUBSTR(body, 3) AS from_3,
  SUBSTR(body, 2, 4) AS two_for_four,
  SUBSTRING(body FROM 4 FOR 2) AS four_for_two
FROM texts
WHERE id <= 60;
