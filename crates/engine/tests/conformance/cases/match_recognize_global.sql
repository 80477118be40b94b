-- MATCH_RECOGNIZE without PARTITION BY (one global sequence), with MATCH_ROWTIME(), aggregates
-- of DECIMAL columns in MEASURES, and an aggregate in a DEFINE condition.

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
  ORDER BY ts
  MEASURES
    FIRST(A.ts) AS first_ts,
    MATCH_ROWTIME() AS match_time,
    SUM(A.price) AS total_price,
    AVG(A.price) AS avg_price,
    MIN(A.volume) AS min_volume,
    MAX(A.volume) AS max_volume,
    B.symbol AS breaking_symbol
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A{3,} B)
  DEFINE
    A AS A.volume >= 200 AND AVG(A.volume) < 450,
    B AS B.volume < 100
);
