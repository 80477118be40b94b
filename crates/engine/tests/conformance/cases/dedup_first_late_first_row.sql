-- Rowtime deduplication keep-first where a key's true first row arrives late: the first payment
-- per pay_method and minute (a 5 s watermark delay here): a late first row is dropped and the
-- key keeps a later row.

CREATE TABLE payments (
  payment_id BIGINT,
  order_id BIGINT,
  amount DECIMAL(10, 2),
  pay_method STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/payments.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT pay_method, bucket, payment_id, ts
FROM (
  SELECT pay_method, FLOOR(ts TO MINUTE) AS bucket, payment_id, ts,
    ROW_NUMBER() OVER (PARTITION BY pay_method, FLOOR(ts TO MINUTE) ORDER BY ts ASC) AS rn
  FROM payments
)
WHERE rn = 1;
