package log

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/record"
)

// clientRecord is a record as a franz-go consumer decodes it.
type clientRecord struct {
	Offset    int64
	Timestamp int64
	Key       string
	Value     string
	Null      bool
	Headers   string
}

// clientRecords decodes fetched bytes the way a franz-go client does:
// kmsg parses each batch and kgo's decompressor inflates its records.
func clientRecords(t *testing.T, data []byte) ([]clientRecord, []int8) {
	t.Helper()
	dec := kgo.DefaultDecompressor()
	var out []clientRecord
	var codecs []int8
	for len(data) > 0 {
		var b kmsg.RecordBatch
		if err := b.ReadFrom(data); err != nil {
			t.Fatalf("kmsg: %v", err)
		}
		data = data[12+int(b.Length):]
		codec := int8(b.Attributes & 0x07)
		codecs = append(codecs, codec)
		raw, err := dec.Decompress(b.Records, kgo.CompressionCodecType(codec))
		if err != nil {
			t.Fatalf("kgo decompress %d: %v", codec, err)
		}
		for i := int32(0); i < b.NumRecords; i++ {
			var r kmsg.Record
			if err := r.ReadFrom(raw); err != nil {
				t.Fatalf("kmsg record %d: %v", i, err)
			}
			raw = raw[len(r.AppendTo(nil)):]
			var hs string
			for _, h := range r.Headers {
				hs += h.Key + ":" + string(h.Value) + ";"
			}
			out = append(out, clientRecord{
				Offset: b.FirstOffset + int64(r.OffsetDelta), Timestamp: b.FirstTimestamp + r.TimestampDelta64,
				Key: string(r.Key), Value: string(r.Value), Null: r.Value == nil, Headers: hs,
			})
		}
		if len(raw) != 0 {
			t.Fatalf("%d bytes left after the records of a batch", len(raw))
		}
	}
	return out, codecs
}

// richBatch builds a batch exercising every record field: keys, null
// values, headers with null values, increasing timestamps.
func richBatch(t *testing.T, codec record.Codec, ts int64, n int) []byte {
	t.Helper()
	b := record.NewBuilder(codec)
	for i := 0; i < n; i++ {
		r := record.Record{Timestamp: ts + int64(i), Key: []byte(fmt.Sprintf("key-%d", i)),
			Headers: []record.RecordHeader{{Key: []byte("h"), Value: []byte(fmt.Sprint(i))}, {Key: []byte("null")}}}
		if i%3 != 1 {
			r.Value = []byte(fmt.Sprintf("value %d %s", i, "compressible compressible compressible"))
		}
		b.Add(r)
	}
	out, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecompressOnAppend(t *testing.T) {
	codecs := []record.Codec{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd}
	targets := []struct {
		compressionType string
		level           int32
		codec           record.Codec // -1: the producer's
	}{
		{CompressionProducer, 0, -1},
		{CompressionUncompressed, 0, record.CodecNone},
		{CompressionGzip, 0, record.CodecGzip},
		{CompressionGzip, 1, record.CodecGzip},
		{CompressionGzip, 9, record.CodecGzip},
		{CompressionSnappy, 0, record.CodecSnappy},
		{CompressionLZ4, 9, record.CodecLZ4},
		{CompressionLZ4, 1, record.CodecLZ4},
		{CompressionLZ4, 17, record.CodecLZ4},
		{CompressionZstd, 3, record.CodecZstd},
		{CompressionZstd, -5, record.CodecZstd},
		{CompressionZstd, 22, record.CodecZstd},
	}
	for _, from := range codecs {
		for _, to := range targets {
			t.Run(fmt.Sprintf("%s to %s level %d", from, to.compressionType, to.level), func(t *testing.T) {
				clock := newClock()
				cfg := testConfig()
				cfg.CompressionType, cfg.CompressionLevel = to.compressionType, to.level
				l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
				defer l.Close()
				ts := clock.Now().UnixMilli()
				mustAppend(t, l, richBatch(t, record.CodecNone, ts, 3)) // something before
				in := richBatch(t, from, ts, 20)
				want, _ := clientRecords(t, in)
				// Idempotent: producer fields must survive too.
				in = idempotent(t, in, from, ts, 20)
				want, _ = clientRecords(t, in)
				res := mustAppend(t, l, in)
				if res.FirstOffset != 3 || res.LastOffset != 22 {
					t.Fatalf("offsets: got [%d, %d], want [3, 22]", res.FirstOffset, res.LastOffset)
				}
				l.SetHighWatermark(l.LogEndOffset())
				data := readBytes(t, l, 3, 1<<20, l.LogEndOffset())
				h, err := record.ParseHeader(data)
				if err != nil || !record.ValidCRC(data) {
					t.Fatalf("stored batch: %v, crc valid %v", err, record.ValidCRC(data))
				}
				wantCodec := to.codec
				if wantCodec < 0 {
					wantCodec = from
				}
				if h.Codec() != wantCodec {
					t.Fatalf("stored codec: got %s, want %s", h.Codec(), wantCodec)
				}
				if h.ProducerID != 42 || h.ProducerEpoch != 1 || h.BaseSequence != 5 || h.LastOffsetDelta != 19 || h.NumRecords != 20 {
					t.Fatalf("stored header: %+v", h)
				}
				got, _ := clientRecords(t, data)
				for i := range want {
					want[i].Offset += 3
				}
				if !slices.Equal(got, want) {
					t.Fatalf("records a client reads:\n got %v\nwant %v", got, want)
				}
				// A retry of the same batch is still recognized.
				if res := mustAppend(t, l, idempotent(t, richBatch(t, from, ts, 20), from, ts, 20)); !res.Duplicate || res.FirstOffset != 3 {
					t.Fatalf("retry: %+v, want a duplicate at 3", res)
				}
			})
		}
	}
}

// idempotent rebuilds a batch with producer id 42, epoch 1, sequence 5.
func idempotent(t *testing.T, b []byte, codec record.Codec, ts int64, n int) []byte {
	t.Helper()
	batch, err := record.NewBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := batch.Records()
	if err != nil {
		t.Fatal(err)
	}
	nb := record.NewBuilder(codec)
	nb.ProducerID, nb.ProducerEpoch, nb.BaseSequence = 42, 1, 5
	for _, r := range recs {
		nb.Add(r)
	}
	out, err := nb.Build()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecompressLogAppendTime(t *testing.T) {
	clock := newClock()
	cfg := testConfig()
	cfg.MessageTimestampType = LogAppendTime
	cfg.CompressionType = CompressionZstd
	l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
	defer l.Close()
	res := mustAppend(t, l, richBatch(t, record.CodecGzip, 5, 4))
	if res.LogAppendTime != clock.Now().UnixMilli() {
		t.Fatalf("log append time: got %d, want %d", res.LogAppendTime, clock.Now().UnixMilli())
	}
	data := readAll(t, l, 0)
	h, _ := record.ParseHeader(data)
	if h.Codec() != record.CodecZstd || h.TimestampType() != record.LogAppendTime || h.MaxTimestamp != res.LogAppendTime || !record.ValidCRC(data) {
		t.Fatalf("stored header: %+v crc %v", h, record.ValidCRC(data))
	}
}

// TestRecompressSizeLimit checks that max.message.bytes applies to the
// batch as written: a batch that fits compressed but not once stored
// uncompressed is refused, and one that only fits once compressed by the
// broker is still refused as sent (Kafka checks both sizes).
func TestRecompressSizeLimit(t *testing.T) {
	clock := newClock()
	compressed := richBatch(t, record.CodecZstd, clock.Now().UnixMilli(), 200)
	plain := richBatch(t, record.CodecNone, clock.Now().UnixMilli(), 200)
	cases := []struct {
		name            string
		compressionType string
		batch           []byte
		wantErr         error
	}{
		{name: "fits compressed, too large uncompressed", compressionType: CompressionUncompressed, batch: compressed, wantErr: ErrMessageTooLarge},
		{name: "fits compressed, kept as sent", compressionType: CompressionProducer, batch: compressed},
		{name: "too large as sent", compressionType: CompressionZstd, batch: plain, wantErr: ErrMessageTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.CompressionType = tc.compressionType
			cfg.MaxMessageBytes = int32(len(compressed) + 100)
			l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
			defer l.Close()
			_, err := l.Append(append([]byte(nil), tc.batch...), AppendInfo{})
			if !errors.Is(err, tc.wantErr) && (err != nil || tc.wantErr != nil) {
				t.Fatalf("Append: got %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil && l.LogEndOffset() != 0 {
				t.Fatalf("log end offset %d after a refused batch", l.LogEndOffset())
			}
		})
	}
}

func TestCompressionConfigValidation(t *testing.T) {
	cases := []struct {
		name    string
		typ     string
		level   int32
		wantErr bool
	}{
		{name: "producer", typ: "producer"},
		{name: "gzip default", typ: "gzip", level: -1},
		{name: "gzip 9", typ: "gzip", level: 9},
		{name: "gzip 10", typ: "gzip", level: 10, wantErr: true},
		{name: "lz4 17", typ: "lz4", level: 17},
		{name: "lz4 18", typ: "lz4", level: 18, wantErr: true},
		{name: "zstd -131072", typ: "zstd", level: -131072},
		{name: "zstd 23", typ: "zstd", level: 23, wantErr: true},
		{name: "snappy ignores the level", typ: "snappy", level: 99},
		{name: "unknown codec", typ: "brotli", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.CompressionType, c.CompressionLevel = tc.typ, tc.level
			if err := c.Validate(); (err != nil) != tc.wantErr {
				t.Fatalf("Validate: got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
