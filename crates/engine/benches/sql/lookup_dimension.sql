-- The dimension table of the lookup benchmarks, for psql: 10,000 users, every one the
-- orders name.
CREATE TABLE users (user_id BIGINT PRIMARY KEY, name TEXT, tier TEXT);
INSERT INTO users
SELECT i, 'user ' || i, CASE WHEN i % 10 = 0 THEN 'gold' ELSE 'basic' END
FROM generate_series(1, 10000) AS i;
