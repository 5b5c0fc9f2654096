"""One consumer-group member for the group scenarios of test/groups.

Usage: member.py CLIENT BOOTSTRAP GROUP TOPIC NAME [EXPECT]

CLIENT is kafka-python or confluent (confluent-kafka, on librdkafka). The
member joins GROUP with client id NAME, subscribed to TOPIC, with the
clients' default (eager) assignors, and prints one JSON line per event on
stdout:

  {"event": "assigned", "name": NAME, "partitions": [0, 2]}
      after every rebalance, with the member's whole assignment;
  {"event": "done", "name": NAME, "count": N, "distinct": D}
      once EXPECT records were read and their offsets committed (D counts
      distinct partition/offset pairs).

The member stays in the group until its stdin is closed; it then closes the
consumer, which leaves the group, and exits.
"""
import json
import sys
import threading


def emit(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def run_kafka_python(bootstrap, group, topic, name, expect, stop):
    from kafka import KafkaConsumer
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            pass

        def on_partitions_assigned(self, assigned):
            emit(event="assigned", name=name, partitions=sorted(tp.partition for tp in assigned))

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, client_id=name,
        enable_auto_commit=False, auto_offset_reset="earliest",
        heartbeat_interval_ms=250, session_timeout_ms=6000)
    consumer.subscribe([topic], listener=Listener())
    seen, count, done = set(), 0, False
    while not stop.is_set():
        for tp, records in consumer.poll(timeout_ms=100).items():
            for r in records:
                count += 1
                seen.add((tp.partition, r.offset))
        if expect and not done and count >= expect:
            consumer.commit()
            emit(event="done", name=name, count=count, distinct=len(seen))
            done = True
    consumer.close()


def run_confluent(bootstrap, group, topic, name, expect, stop):
    from confluent_kafka import Consumer

    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
        "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "heartbeat.interval.ms": 250, "session.timeout.ms": 6000,
    })

    def on_assign(c, partitions):
        emit(event="assigned", name=name, partitions=sorted(p.partition for p in partitions))

    consumer.subscribe([topic], on_assign=on_assign)
    seen, count, done = set(), 0, False
    while not stop.is_set():
        msg = consumer.poll(0.1)
        if msg is not None and not msg.error():
            count += 1
            seen.add((msg.partition(), msg.offset()))
        if expect and not done and count >= expect:
            consumer.commit(asynchronous=False)
            emit(event="done", name=name, count=count, distinct=len(seen))
            done = True
    consumer.close()


def main():
    client, bootstrap, group, topic, name = sys.argv[1:6]
    expect = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    stop = threading.Event()

    def wait_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    run = {"kafka-python": run_kafka_python, "confluent": run_confluent}[client]
    run(bootstrap, group, topic, name, expect, stop)


if __name__ == "__main__":
    main()
