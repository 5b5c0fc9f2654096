package consoleproducer

import (
	"context"
	"sort"
	"time"

	"github.com/IBM/sarama"
)

// accumulator holds records per partition until their batch is ready, as
// the Java producer's RecordAccumulator does: a batch goes out when it
// reaches batch.size bytes, when linger.ms has passed since the oldest
// record waiting, or when the producer closes. Releasing a batch tells the
// sticky partitioner that the batch was sent.
//
// It is used from the producer's run goroutine only.
type accumulator struct {
	linger    time.Duration
	batchSize int
	push      func(context.Context, *sarama.ProducerMessage)
	released  func(partition int32)

	batches map[int32]*batch
	lingerT *time.Timer
}

type batch struct {
	msgs  []*sarama.ProducerMessage
	bytes int
}

// add queues msg on its partition and releases batches that are ready.
func (a *accumulator) add(ctx context.Context, msg *sarama.ProducerMessage) {
	if a.batches == nil {
		a.batches = map[int32]*batch{}
	}
	b := a.batches[msg.Partition]
	if b == nil {
		b = &batch{}
		a.batches[msg.Partition] = b
	}
	b.msgs = append(b.msgs, msg)
	b.bytes += messageBytes(msg)
	switch {
	case a.linger <= 0 || b.bytes >= a.batchSize:
		a.release(ctx, msg.Partition)
	case a.lingerT == nil:
		a.lingerT = time.NewTimer(a.linger)
	}
}

// timer fires when the oldest waiting record has lingered long enough; it
// is nil (never ready) while nothing waits.
func (a *accumulator) timer() <-chan time.Time {
	if a.lingerT == nil {
		return nil
	}
	return a.lingerT.C
}

func (a *accumulator) release(ctx context.Context, partition int32) {
	b := a.batches[partition]
	if b == nil {
		return
	}
	delete(a.batches, partition)
	for _, m := range b.msgs {
		a.push(ctx, m)
	}
	if a.released != nil {
		a.released(partition)
	}
	if len(a.batches) == 0 && a.lingerT != nil {
		a.lingerT.Stop()
		a.lingerT = nil
	}
}

// releaseAll sends every waiting batch, in partition order.
func (a *accumulator) releaseAll(ctx context.Context) {
	parts := make([]int32, 0, len(a.batches))
	for p := range a.batches {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	for _, p := range parts {
		a.release(ctx, p)
	}
	if a.lingerT != nil {
		a.lingerT.Stop()
		a.lingerT = nil
	}
}
