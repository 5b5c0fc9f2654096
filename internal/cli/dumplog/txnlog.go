package dumplog

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// transactionStates are Kafka's TransactionState names by id.
var transactionStates = []string{
	"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence",
}

// formatTxnRecord renders a __transaction_state record as Kafka 3.9's
// --transaction-log-decoder does:
//
//	key     transaction_metadata::transactionalId=<id>
//	payload producerId:<p>,producerEpoch:<e>,state=<S>,partitions=[t-0,…],txnLastUpdateTimestamp=<ms>,txnTimeoutMs=<ms>
//
// with "<DELETE>" for tombstones and "unknown::version=<v>" keys for key
// versions it does not know. The partitions print in the iteration order
// of the Scala HashSet Kafka collects them in.
func formatTxnRecord(key, value []byte) (k, v *string, err error) {
	if len(key) < 2 {
		return nil, nil, fmt.Errorf("transaction log record key of %d bytes has no version", len(key))
	}
	version := int16(binary.BigEndian.Uint16(key))
	if !schemaTransactionLogKey.valid.has(version) {
		s := fmt.Sprintf("unknown::version=%d", version)
		return &s, nil, nil
	}
	kd, _, err := schemaTransactionLogKey.decode(key[2:], version)
	if err != nil {
		return nil, nil, fmt.Errorf("transaction log key: %w", err)
	}
	id, _ := kd.get("transactionalId")
	ids, _ := id.(string)
	ks := "transaction_metadata::transactionalId=" + ids
	if value == nil {
		s := "<DELETE>"
		return &ks, &s, nil
	}
	if len(value) < 2 {
		return nil, nil, fmt.Errorf("transaction log value of %d bytes has no version", len(value))
	}
	vv := int16(binary.BigEndian.Uint16(value))
	if !schemaTransactionLogValue.valid.has(vv) {
		return nil, nil, fmt.Errorf("unknown version %d from the transaction log message value", vv)
	}
	vd, _, err := schemaTransactionLogValue.decode(value[2:], vv)
	if err != nil {
		return nil, nil, fmt.Errorf("transaction log value: %w", err)
	}
	num := func(k string) int64 {
		x, _ := vd.get(k)
		n, _ := x.(int64)
		return n
	}
	state := num("transactionStatus")
	if state < 0 || int(state) >= len(transactionStates) {
		return nil, nil, fmt.Errorf("unknown transaction state id %d from the transaction status message", state)
	}
	var partitions []string
	if state != 0 { // Empty transactions list no partitions
		partitions = txnPartitions(vd)
	}
	s := fmt.Sprintf("producerId:%d,producerEpoch:%d,state=%s,partitions=[%s],txnLastUpdateTimestamp=%d,txnTimeoutMs=%d",
		num("producerId"), num("producerEpoch"), transactionStates[state], strings.Join(partitions, ","),
		num("transactionLastUpdateTimestampMs"), num("transactionTimeoutMs"))
	return &ks, &s, nil
}

// txnPartitions lists the value's topic partitions as "topic-partition" in
// the order Kafka prints them: that of a Scala mutable.HashSet filled with
// one addAll per topic entry.
func txnPartitions(vd *jobj) []string {
	raw, _ := vd.get("transactionPartitions")
	topics, _ := raw.([]any)
	var items []string
	var hashes []int32
	var groups []int
	for _, t := range topics {
		to, ok := t.(*jobj)
		if !ok {
			continue
		}
		name, _ := to.get("topic")
		topic, _ := name.(string)
		ps, _ := to.get("partitionIds")
		ids, _ := ps.([]any)
		seen := map[int64]bool{}
		n := 0
		for _, p := range ids {
			id, _ := p.(int64)
			if seen[id] {
				continue
			}
			seen[id] = true
			items = append(items, topic+"-"+strconv.FormatInt(id, 10))
			hashes = append(hashes, cli.TopicPartitionHash(topic, int32(id)))
			n++
		}
		groups = append(groups, n)
	}
	return cli.ScalaHashOrder(items, hashes, groups)
}
