CREATE TEMPORARY TABLE snk (window_start TIMESTAMP(3), window_end TIMESTAMP(3), k BIGINT, cnt BIGINT, sv DOUBLE)
  WITH ('connector' = 'blackhole');
INSERT INTO snk
SELECT window_start, window_end, k, COUNT(*) AS cnt, SUM(v) AS sv
FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, k;
