package consoleproducer

import (
	"math/rand/v2"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Values of Java's org.apache.kafka.common.utils.Utils.murmur2 for these
// keys, from Kafka's UtilsTest. Java places a key on
// (murmur2 & 0x7fffffff) % partitions.
var javaMurmur2 = []struct {
	key  string
	hash int32
}{
	{"21", -973932308},
	{"foobar", -790332482},
	{"a-little-bit-long-string", -985981536},
	{"a-little-bit-longer-string", -1486304829},
	{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
	{"abc", 479470107},
}

func TestKeyedPlacementMatchesJava(t *testing.T) {
	p := newStickyPartitioner("t", 16384, nil, rand.New(rand.NewPCG(1, 2)))
	franz := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	for _, v := range javaMurmur2 {
		for _, n := range []int32{1, 2, 3, 7, 12, 100, 1000} {
			want := int32(uint32(v.hash)&0x7fffffff) % n
			got, err := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(v.key)}, n)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("key %q, %d partitions: got %d, want %d (Java)", v.key, n, got, want)
			}
			// franz-go's default partitioner is a second, independent
			// implementation of Java's.
			if fr := franz.Partition(&kgo.Record{Key: []byte(v.key)}, int(n)); int32(fr) != want {
				t.Errorf("key %q, %d partitions: franz-go says %d, Java %d", v.key, n, fr, want)
			}
		}
	}
	if got, _ := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder("foobar")}, 12); got != 6 {
		t.Errorf("foobar on 12 partitions = %d, want 6", got)
	}
}

func TestStickyPartitioner(t *testing.T) {
	msg := func(n int) *sarama.ProducerMessage {
		return &sarama.ProducerMessage{Value: sarama.ByteEncoder(make([]byte, n))}
	}
	t.Run("sticks until the batch is full", func(t *testing.T) {
		p := newStickyPartitioner("t", 100, nil, rand.New(rand.NewPCG(1, 2)))
		first, _ := p.Partition(msg(10), 6)
		for i := 0; i < 7; i++ { // 8 records of 18 bytes: 144 >= 100 after the 6th
			got, _ := p.Partition(msg(10), 6)
			if i < 4 && got != first {
				t.Fatalf("record %d went to %d, want sticky %d", i+2, got, first)
			}
			if i == 5 && got == first {
				t.Fatalf("record %d stayed on %d after the batch filled", i+2, got)
			}
		}
	})
	t.Run("switches when the batch is sent", func(t *testing.T) {
		p := newStickyPartitioner("t", 1<<20, nil, rand.New(rand.NewPCG(3, 4)))
		seen := map[int32]bool{}
		prev := int32(-1)
		for i := 0; i < 50; i++ {
			a, _ := p.Partition(msg(1), 4)
			b, _ := p.Partition(msg(1), 4)
			if a != b {
				t.Fatalf("two records of one batch went to %d and %d", a, b)
			}
			if a == prev {
				t.Fatalf("batch %d reused partition %d", i, a)
			}
			seen[a] = true
			prev = a
			p.BatchSent(a)
		}
		if len(seen) != 4 {
			t.Errorf("used partitions %v, want all 4", seen)
		}
	})
	t.Run("other partitions' acknowledgements do not switch", func(t *testing.T) {
		p := newStickyPartitioner("t", 1<<20, nil, rand.New(rand.NewPCG(5, 6)))
		a, _ := p.Partition(msg(1), 4)
		p.BatchSent((a + 1) % 4)
		if b, _ := p.Partition(msg(1), 4); b != a {
			t.Errorf("moved from %d to %d", a, b)
		}
	})
	t.Run("only available partitions", func(t *testing.T) {
		p := newStickyPartitioner("t", 1, func() []int32 { return []int32{2, 5} }, rand.New(rand.NewPCG(7, 8)))
		for i := 0; i < 20; i++ {
			if got, _ := p.Partition(msg(1), 6); got != 2 && got != 5 {
				t.Fatalf("chose unavailable partition %d", got)
			}
		}
	})
	t.Run("one partition", func(t *testing.T) {
		p := newStickyPartitioner("t", 1, nil, rand.New(rand.NewPCG(9, 10)))
		for i := 0; i < 5; i++ {
			if got, _ := p.Partition(msg(1), 1); got != 0 {
				t.Fatalf("got %d", got)
			}
		}
	})
}

// TestEstimateBatchSize pins Java's upper bound for a record's batch
// (DefaultRecordBatch.estimateBatchSizeUpperBound), which the producer
// compares with max.request.size.
func TestEstimateBatchSize(t *testing.T) {
	tests := []struct {
		rec  Record
		want int
	}{
		{Record{}, 61 + 21 + 1 + 1 + 1},
		{Record{Key: []byte("k"), Value: make([]byte, 63)}, 61 + 21 + 2 + 64 + 1},
		{Record{Value: make([]byte, 64)}, 61 + 21 + 1 + 2 + 64 + 1},
		{Record{Value: make([]byte, 1100000)}, 1100088},
		{Record{Value: []byte("v"), Headers: []Header{{"h", nil}, {"k", []byte("vv")}}}, 61 + 21 + 1 + 2 + 1 + (2 + 1) + (2 + 3)},
	}
	for _, tt := range tests {
		if got := estimateBatchSize(&tt.rec); got != tt.want {
			t.Errorf("estimateBatchSize(key %d, value %d, %d headers) = %d, want %d", len(tt.rec.Key), len(tt.rec.Value), len(tt.rec.Headers), got, tt.want)
		}
	}
}
