package log

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/record"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("KAFKAKIT_LOG_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// batchSpec describes a batch for makeBatch.
type batchSpec struct {
	records   int
	valueSize int
	timestamp int64 // of the first record; each next record +1
	codec     record.Codec
	pid       int64
	epoch     int16
	seq       int32
	keys      bool
	txn       bool
}

func makeBatch(t testing.TB, s batchSpec) []byte {
	t.Helper()
	if s.records == 0 {
		s.records = 1
	}
	b := record.NewBuilder(s.codec)
	if s.pid > 0 || s.seq > 0 || s.epoch > 0 {
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = s.pid, s.epoch, s.seq
	}
	b.Transactional = s.txn
	for i := 0; i < s.records; i++ {
		r := record.Record{Timestamp: s.timestamp + int64(i), Value: make([]byte, s.valueSize)}
		for j := range r.Value {
			r.Value[j] = byte('a' + (i+j)%26)
		}
		if s.keys {
			r.Key = []byte(fmt.Sprintf("k%d", i))
		}
		b.Add(r)
	}
	out, err := b.Build()
	if err != nil {
		t.Fatalf("build batch: %v", err)
	}
	return out
}

func testConfig() Config {
	c := DefaultConfig()
	c.SegmentIndexBytes = 4096
	return c
}

func openTestLog(t testing.TB, dir string, cfg Config, clock *fakeClock, opts Options) *Log {
	t.Helper()
	opts.Logger = testLogger(t)
	if clock != nil {
		opts.Now = clock.Now
	}
	l, err := Open(dir, "t", 0, cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// mustAppend appends a batch as a client with leader epoch 0.
func mustAppend(t testing.TB, l *Log, b []byte) AppendResult {
	t.Helper()
	res, err := l.Append(b, AppendInfo{LeaderEpoch: 0})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

// readBytes reads the region Read returns (first batch whole) into memory.
func readBytes(t testing.TB, l *Log, offset int64, maxBytes int32, maxOffset int64) []byte {
	t.Helper()
	r, err := l.Read(offset, maxBytes, maxOffset, true)
	if err != nil {
		t.Fatalf("Read(%d): %v", offset, err)
	}
	defer r.Release()
	b, err := r.Bytes()
	if err != nil {
		t.Fatalf("read bytes: %v", err)
	}
	return b
}

// readAll reads every batch from offset to the log end, returning the
// concatenated bytes.
func readAll(t testing.TB, l *Log, from int64) []byte {
	t.Helper()
	var out []byte
	off := from
	for off < l.LogEndOffset() {
		b := readBytes(t, l, off, 1<<20, l.LogEndOffset())
		if len(b) == 0 {
			t.Fatalf("Read(%d) returned nothing below log end %d", off, l.LogEndOffset())
		}
		it := record.NewIterator(b)
		for it.Next() {
			out = append(out, it.Entry().Raw...)
			off = it.Entry().LastOffset() + 1
		}
	}
	return out
}

// offsetsIn lists (base, last) of each batch in b.
func offsetsIn(b []byte) [][2]int64 {
	var out [][2]int64
	it := record.NewIterator(b)
	for it.Next() {
		out = append(out, [2]int64{it.Entry().Header.BaseOffset, it.Entry().LastOffset()})
	}
	return out
}

func recordIterator(b []byte) *record.Iterator { return record.NewIterator(b) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// makeBatchTimestamps builds an uncompressed batch with one small record
// per timestamp.
func makeBatchTimestamps(t testing.TB, ts []int64) []byte {
	t.Helper()
	b := record.NewBuilder(record.CodecNone)
	for _, x := range ts {
		b.Add(record.Record{Timestamp: x, Value: make([]byte, 100)})
	}
	out, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
