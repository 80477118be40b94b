-- MATCH_RECOGNIZE with WITHIN INTERVAL '5' SECOND: a pattern matches only if its last row is
-- less than 5 s after its first (strictly).

CREATE TABLE ticks (
  symbol STRING,
  price DECIMAL(10, 2),
  volume INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ticks.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT *
FROM ticks
MATCH_RECOGNIZE (
  PARTITION BY symbol
  ORDER BY ts
  MEASURES
    FIRST(UP.ts) AS first_ts,
    LAST(UP.ts) AS last_ts,
    FIRST(UP.price) AS first_price,
    LAST(UP.price) AS last_price,
    COUNT(UP.price) AS rises
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (START_ROW UP{3,} END_ROW) WITHIN INTERVAL '5' SECOND
  DEFINE
    UP AS (LAST(UP.price, 1) IS NULL AND UP.price > START_ROW.price) OR UP.price > LAST(UP.price, 1),
    END_ROW AS END_ROW.price <= LAST(UP.price, 1)
);
