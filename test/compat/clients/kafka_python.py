"""Round trip through kafka-server with kafka-python (pure Python client).

Usage: kafka_python.py BOOTSTRAP TOPIC COUNT

Creates TOPIC with 3 partitions, produces COUNT keyed records with headers,
record i going to partition i % 3, then reads every partition from the
beginning and checks key, value, headers, partition and offset of each
record. Exits non-zero with a message on the first mismatch.
"""
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

PARTITIONS = 3


def main():
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="compat-kafka-python")
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    admin.close()

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    futures = []
    for i in range(count):
        futures.append(producer.send(
            topic,
            key=b"key-%d" % i,
            value=b"value-%d" % i,
            headers=[("h1", b"x%d" % i), ("h2", b"")],
            partition=i % PARTITIONS,
        ))
    producer.flush()
    for i, f in enumerate(futures):
        md = f.get(timeout=30)
        want = (i % PARTITIONS, i // PARTITIONS)
        if (md.partition, md.offset) != want:
            sys.exit("produce %d: got partition/offset %s, want %s" % (i, (md.partition, md.offset), want))
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=10000)
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen = 0
    for msg in consumer:
        i = msg.offset * PARTITIONS + msg.partition
        want_headers = [("h1", b"x%d" % i), ("h2", b"")]
        if msg.key != b"key-%d" % i or msg.value != b"value-%d" % i or list(msg.headers) != want_headers:
            sys.exit("record at %d/%d: got key=%r value=%r headers=%r" % (msg.partition, msg.offset, msg.key, msg.value, msg.headers))
        seen += 1
        if seen == count:
            break
    consumer.close()
    if seen != count:
        sys.exit("consumed %d records, want %d" % (seen, count))
    print("ok %d" % seen)


if __name__ == "__main__":
    main()
