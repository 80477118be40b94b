CREATE TEMPORARY TABLE snk (seq BIGINT, k BIGINT, v DOUBLE, ts TIMESTAMP_LTZ(3)) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT seq, k, v, ts FROM src WHERE v > 0.1;
