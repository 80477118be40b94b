-- Basic string functions: UPPER, LOWER, CHAR_LENGTH, SUBSTRING, CONCAT, CONCAT_WS (which skips
-- NULLs) and REVERSE, on names with spaces, accents and mixed case.

CREATE TABLE users (
  user_id BIGINT,
  name STRING,
  email STRING,
  country STRING,
  tier STRING,
  credit DECIMAL(10, 2)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/users.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT user_id, name,
  UPPER(name) AS upper_name, LOWER(name) AS lower_name, CHAR_LENGTH(name) AS len,
  SUBSTRING(email FROM 1 FOR 5) AS head, SUBSTRING(email FROM 3) AS tail,
  CONCAT(tier, '/', country) AS tier_country, CONCAT_WS('-', tier, country, 'x') AS joined,
  REVERSE(tier) AS reversed
FROM users;
