-- JSON_VALUE (with RETURNING and a default), JSON_QUERY, JSON_EXISTS, IS JSON and JSON_OBJECT
-- (whose keys come out sorted by name; DECIMAL values as JSON numbers). (JSON_VALUE ... RETURNING
-- DOUBLE fails at run time in Flink 2.1 with a ClassCastException on an integer JSON number.)

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
  JSON_VALUE(payload, '$.user.name') AS user_name,
  JSON_VALUE(payload, '$.user.id' RETURNING INT) AS user_id,
  JSON_VALUE(payload, '$.total') AS total_text,
  JSON_VALUE(payload, '$.type' DEFAULT 'none' ON EMPTY) AS kind,
  JSON_QUERY(payload, '$.items') AS items,
  JSON_EXISTS(payload, '$.user') AS has_user,
  payload IS JSON AS valid_json,
  JSON_OBJECT('id' VALUE id, 'body' VALUE body, 'amount' VALUE amount) AS as_object
FROM texts
WHERE id <= 40;
