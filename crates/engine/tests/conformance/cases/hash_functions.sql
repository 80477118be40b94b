-- MD5 (CHAR(32)), SHA1 and SHA256 (CHAR(64)) of UTF-8 strings, NULL for NULL.

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

SELECT id, body, MD5(body) AS md5, SHA1(body) AS sha1, SHA256(body) AS sha256
FROM texts
WHERE id <= 30;
