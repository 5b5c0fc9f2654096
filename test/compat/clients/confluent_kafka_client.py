"""Round trip through kafka-server with confluent-kafka (librdkafka).

Usage: confluent_kafka_client.py BOOTSTRAP TOPIC COUNT

Creates TOPIC (3 partitions) with the admin client, produces COUNT keyed
records with headers through an idempotent producer compressing with lz4
(record i to partition i % 3), then reads every partition from the
beginning and checks key, value, headers, partition and offset.
"""
import sys

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 3


def main():
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for t, f in admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)]).items():
        f.result(timeout=30)

    delivered = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
            return
        delivered[int(msg.key().decode().split("-")[1])] = (msg.partition(), msg.offset())

    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "compression.type": "lz4",
        "linger.ms": 5,
    })
    for i in range(count):
        producer.produce(topic, key=b"key-%d" % i, value=b"value-%d" % i,
                         headers=[("h1", b"x%d" % i), ("h2", b"")],
                         partition=i % PARTITIONS, on_delivery=on_delivery)
        producer.poll(0)
    if producer.flush(30) != 0:
        sys.exit("producer flush left messages undelivered")
    if errors:
        sys.exit("delivery errors: %s" % errors[:5])
    for i in range(count):
        want = (i % PARTITIONS, i // PARTITIONS)
        if delivered.get(i) != want:
            sys.exit("produce %d: got partition/offset %s, want %s" % (i, delivered.get(i), want))

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "compat-unused",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    seen = 0
    empty_polls = 0
    while seen < count and empty_polls < 20:
        msg = consumer.poll(1.0)
        if msg is None:
            empty_polls += 1
            continue
        if msg.error():
            sys.exit("consume error: %s" % msg.error())
        i = msg.offset() * PARTITIONS + msg.partition()
        want_headers = [("h1", b"x%d" % i), ("h2", b"")]
        if msg.key() != b"key-%d" % i or msg.value() != b"value-%d" % i or msg.headers() != want_headers:
            sys.exit("record at %d/%d: got key=%r value=%r headers=%r" % (msg.partition(), msg.offset(), msg.key(), msg.value(), msg.headers()))
        seen += 1
    consumer.close()
    if seen != count:
        sys.exit("consumed %d records, want %d" % (seen, count))
    print("ok %d" % seen)


if __name__ == "__main__":
    main()
