// Round trip through kafka-server with kafkajs.
//
// Usage: node kafkajs_client.js BOOTSTRAP TOPIC COUNT
//
// Creates TOPIC (3 partitions), produces COUNT keyed records with headers
// (record i to partition i % 3), then consumes them in a consumer group from
// the beginning and checks key, value, headers, partition and offset.
const { Kafka, logLevel } = require('kafkajs');

const PARTITIONS = 3;

async function main() {
  const [bootstrap, topic, countArg] = process.argv.slice(2);
  const count = parseInt(countArg, 10);
  const kafka = new Kafka({ clientId: 'compat-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.ERROR });

  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) {
    messages.push({ key: `key-${i}`, value: `value-${i}`, headers: { h1: `x${i}`, h2: '' }, partition: i % PARTITIONS });
  }
  const results = await producer.send({ topic, messages, acks: -1 });
  await producer.disconnect();
  for (const r of results) {
    if (r.errorCode !== 0) throw new Error(`produce error ${JSON.stringify(r)}`);
  }

  const consumer = kafka.consumer({ groupId: `compat-kafkajs-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let failure = null;
  const done = new Promise((resolve) => {
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        const offset = parseInt(message.offset, 10);
        const i = offset * PARTITIONS + partition;
        const h1 = message.headers.h1 && message.headers.h1.toString();
        const h2 = message.headers.h2 && message.headers.h2.toString();
        if (message.key.toString() !== `key-${i}` || message.value.toString() !== `value-${i}` || h1 !== `x${i}` || h2 !== '') {
          failure = `record at ${partition}/${offset}: key=${message.key} value=${message.value} headers=${JSON.stringify(message.headers)}`;
          resolve();
        }
        seen++;
        if (seen === count) resolve();
      },
    });
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, 60000));
  await Promise.race([done, timeout]);
  await consumer.disconnect();
  if (failure) throw new Error(failure);
  if (seen !== count) throw new Error(`consumed ${seen} records, want ${count}`);
  console.log(`ok ${seen}`);
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
