"""The peer users reach for: confluent-kafka (librdkafka underneath), producing N records of a
fixed size as fast as it can. Prints records/s. Arguments: servers topic count size [key=value...]"""
import sys
import time

from confluent_kafka import Producer

servers, topic, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config = {"bootstrap.servers": servers}
config.update(dict(arg.split("=", 1) for arg in sys.argv[5:]))
producer = Producer(config)
payload = b"x" * size
start = time.perf_counter()
for _ in range(count):
    while True:
        try:
            producer.produce(topic, payload)
            break
        except BufferError:
            producer.poll(0.001)
    producer.poll(0)
producer.flush(120)
print(count / (time.perf_counter() - start))
