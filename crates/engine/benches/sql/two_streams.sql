CREATE TEMPORARY TABLE l (
  seq BIGINT, k BIGINT, ts AS TO_TIMESTAMP_LTZ(seq * 5, 3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '1000000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '1000000',
  'fields.k.min' = '1', 'fields.k.max' = '10000'
);
CREATE TEMPORARY TABLE r (
  seq BIGINT, k BIGINT, ts AS TO_TIMESTAMP_LTZ(seq * 5, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
  PRIMARY KEY (k) NOT ENFORCED
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '1000000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '1000000',
  'fields.k.min' = '1', 'fields.k.max' = '10000'
);
