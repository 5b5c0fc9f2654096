// One kafkajs consumer-group member for the group scenarios of test/groups.
//
// Usage: node kafkajs_member.js BOOTSTRAP GROUP TOPIC NAME [EXPECT]
//
// kafkajs is found through NODE_PATH (the install of test/compat/clients).
// The member prints the same JSON lines as member.py: "assigned" after every
// rebalance, "done" once EXPECT records were read and committed. Closing its
// stdin makes it leave the group and exit.
const { Kafka, logLevel } = require('kafkajs');

function emit(fields) {
  process.stdout.write(JSON.stringify(fields) + '\n');
}

async function main() {
  const [bootstrap, group, topic, name, expectArg] = process.argv.slice(2);
  const expect = expectArg ? parseInt(expectArg, 10) : 0;
  const kafka = new Kafka({ clientId: name, brokers: bootstrap.split(','), logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: group, heartbeatInterval: 250, sessionTimeout: 6000 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const parts = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b);
    emit({ event: 'assigned', name, partitions: parts });
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await consumer.disconnect();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.resume();

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set();
  const next = new Map(); // partition -> next offset to commit
  let count = 0;
  let done = false;
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      count++;
      seen.add(`${partition}/${message.offset}`);
      next.set(partition, (BigInt(message.offset) + 1n).toString());
      if (expect && !done && count >= expect) {
        done = true;
        await consumer.commitOffsets([...next].map(([p, o]) => ({ topic, partition: p, offset: o })));
        emit({ event: 'done', name, count, distinct: seen.size });
      }
    },
  });
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
