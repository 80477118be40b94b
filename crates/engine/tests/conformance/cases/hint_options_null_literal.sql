-- Dynamic table options: the table declares no 'csv.null-literal' (an empty country reads as
-- ''; credit is STRING since user 42 has none), and an OPTIONS hint on one of its two
-- references adds it (there the empty country is NULL).

CREATE TABLE users (
  user_id BIGINT,
  name STRING,
  email STRING,
  country STRING,
  tier STRING,
  credit STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/users.csv',
  'format' = 'csv'
);

SELECT 'declared' AS reading, user_id, country, country IS NULL AS country_is_null
FROM users
WHERE user_id <= 15
UNION ALL
SELECT 'hinted' AS reading, user_id, country, country IS NULL AS country_is_null
FROM users /*+ OPTIONS('csv.null-literal' = '') */
WHERE user_id <= 15;
