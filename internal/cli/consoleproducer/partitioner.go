package consoleproducer

import (
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/IBM/sarama"
)

// stickyPartitioner places records as Kafka's Java producer does by
// default: a keyed record goes to murmur2(key) & 0x7fffffff modulo the
// partition count (sarama's Murmur2Partitioner, the same function as Java's
// Utils.murmur2), so the same key lands where a Java producer puts it; a
// record without key sticks to one partition until the batch on it is done,
// then a different available partition is picked at random (KIP-480). A
// batch is done when batchSize bytes went to the partition or when the
// producer reports that records of the batch were sent (BatchSent).
//
// sarama calls Partition from its per-topic goroutine; BatchSent is called
// from the goroutine that drains the producer's acknowledgements. mu guards
// the sticky state between them.
type stickyPartitioner struct {
	keyed     sarama.Partitioner
	available func() []int32 // partitions with a leader
	batchSize int

	mu      sync.Mutex
	rnd     *rand.Rand
	current int32 // -1: none chosen
	prev    int32 // the partition last switched away from, or -1
	bytes   int
}

func newStickyPartitioner(topic string, batchSize int, available func() []int32, rnd *rand.Rand) *stickyPartitioner {
	return &stickyPartitioner{
		keyed:     sarama.NewMurmur2Partitioner(topic),
		available: available,
		batchSize: batchSize,
		rnd:       rnd,
		current:   -1,
		prev:      -1,
	}
}

// Partition implements sarama.Partitioner.
func (p *stickyPartitioner) Partition(msg *sarama.ProducerMessage, numPartitions int32) (int32, error) {
	if msg.Key != nil {
		return p.keyed.Partition(msg, numPartitions)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current < 0 || p.current >= numPartitions {
		p.current = p.next(numPartitions)
		p.bytes = 0
	}
	part := p.current
	p.bytes += messageBytes(msg)
	if p.batchSize > 0 && p.bytes >= p.batchSize {
		p.switchFrom(part)
	}
	return part, nil
}

// RequiresConsistency implements sarama.Partitioner: keys must map to the
// same partition whatever the leaders, so sarama passes the full count.
func (p *stickyPartitioner) RequiresConsistency() bool { return true }

// BatchSent tells the partitioner that records it placed on partition have
// been sent; the next keyless record starts a batch elsewhere.
func (p *stickyPartitioner) BatchSent(partition int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if partition == p.current {
		p.switchFrom(partition)
	}
}

// switchFrom forgets the current partition; the next record picks another.
func (p *stickyPartitioner) switchFrom(part int32) {
	p.prev, p.current = part, -1
}

// next picks an available partition at random, other than the previous one
// when there is a choice.
func (p *stickyPartitioner) next(n int32) int32 {
	prev := p.prev
	var choices []int32
	if p.available != nil {
		for _, id := range p.available() {
			if id >= 0 && id < n {
				choices = append(choices, id)
			}
		}
	}
	if len(choices) == 0 {
		for id := int32(0); id < n; id++ {
			choices = append(choices, id)
		}
	}
	if len(choices) > 1 {
		if i := slices.Index(choices, prev); i >= 0 {
			choices = slices.Delete(choices, i, i+1)
		}
	}
	return choices[p.rnd.IntN(len(choices))]
}

// messageBytes approximates the bytes a record adds to a batch.
func messageBytes(msg *sarama.ProducerMessage) int {
	n := 8
	if msg.Key != nil {
		n += msg.Key.Length()
	}
	if msg.Value != nil {
		n += msg.Value.Length()
	}
	for _, h := range msg.Headers {
		n += len(h.Key) + len(h.Value) + 2
	}
	return n
}
