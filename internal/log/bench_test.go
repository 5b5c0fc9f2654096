package log

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/record"
)

// BenchmarkAppend appends 16 KiB batches of 1 KiB records as a client
// (full validation: CRC, record decoding, offsets, indexes) and, in the same
// run and directory, writes the same bytes sequentially to a plain file.
// It reports both throughputs and their ratio (log/file).
//
//	go test ./internal/log -run '^$' -bench BenchmarkAppend -benchtime 2s
func BenchmarkAppend(b *testing.B) {
	batch := makeBatch(b, batchSpec{records: 16, valueSize: 1000, timestamp: time.Now().UnixMilli()})
	dir := b.TempDir()
	l, err := Open(filepath.Join(dir, "log"), "bench", 0, DefaultConfig(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	f, err := os.Create(filepath.Join(dir, "plain"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	plain := append([]byte(nil), batch...)

	const chunk = 8 // alternate in chunks so both see the same machine load
	var logTime, fileTime time.Duration
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		start := time.Now()
		for i := 0; i < n; i++ {
			record.SetBaseOffset(batch, 0)
			if _, err := l.Append(batch, AppendInfo{LeaderEpoch: 0}); err != nil {
				b.Fatal(err)
			}
		}
		logTime += time.Since(start)
		start = time.Now()
		for i := 0; i < n; i++ {
			if _, err := f.Write(plain); err != nil {
				b.Fatal(err)
			}
		}
		fileTime += time.Since(start)
		done += n
	}
	b.StopTimer()
	mb := float64(b.N) * float64(len(batch)) / (1 << 20)
	b.ReportMetric(mb/logTime.Seconds(), "log-MB/s")
	b.ReportMetric(mb/fileTime.Seconds(), "file-MB/s")
	b.ReportMetric(fileTime.Seconds()/logTime.Seconds(), "log/file")
}

// benchLog fills a log with size bytes of 16 KiB batches.
func benchLog(b *testing.B, size int) *Log {
	b.Helper()
	l, err := Open(b.TempDir(), "bench", 0, DefaultConfig(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	batch := makeBatch(b, batchSpec{records: 16, valueSize: 1000, timestamp: time.Now().UnixMilli()})
	for l.Size() < int64(size) {
		record.SetBaseOffset(batch, 0)
		if _, err := l.Append(batch, AppendInfo{}); err != nil {
			b.Fatal(err)
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	return l
}

// BenchmarkRead reads a 64 MiB log from start to end in 1 MiB fetches into
// memory (Read, then Bytes).
//
//	go test ./internal/log -run '^$' -bench BenchmarkRead -benchtime 2s
func BenchmarkRead(b *testing.B) {
	l := benchLog(b, 64<<20)
	defer l.Close()
	b.SetBytes(l.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		readThrough(b, l, func(r *ReadResult) error {
			_, err := r.WriteTo(io.Discard)
			return err
		})
	}
}

// BenchmarkReadSendfile sends the same log over a loopback TCP connection
// with WriteTo (sendfile on Linux).
func BenchmarkReadSendfile(b *testing.B) {
	l := benchLog(b, 64<<20)
	defer l.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.SetBytes(l.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		readThrough(b, l, func(r *ReadResult) error {
			_, err := r.WriteTo(c)
			return err
		})
	}
}

func readThrough(b *testing.B, l *Log, send func(*ReadResult) error) {
	off := int64(0)
	end := l.LogEndOffset()
	for off < end {
		r, err := l.Read(off, 1<<20, end, true)
		if err != nil {
			b.Fatal(err)
		}
		f, pos, size := r.Region()
		if err := send(r); err != nil {
			b.Fatal(err)
		}
		// Find where the next fetch starts: after the last whole batch.
		var hdr [record.HeaderSize]byte
		last := pos
		for p := pos; p+record.HeaderSize <= pos+size; {
			f.ReadAt(hdr[:], p)
			h, _ := record.ParseHeader(hdr[:])
			if p+int64(h.Size()) > pos+size {
				break
			}
			off = h.LastOffset() + 1
			p += int64(h.Size())
			last = p
		}
		_ = last
		r.Release()
	}
}

// BenchmarkClean compacts a log of 8 MiB of 1 KiB records over 1000 keys
// (lz4 batches of 16 records, 64 KiB segments grouped into 1 MiB ones):
// one full pass per iteration, the log being rebuilt between iterations.
//
//	go test ./internal/log -run '^$' -bench BenchmarkClean -benchtime 5x
func BenchmarkClean(b *testing.B) {
	cfg := DefaultConfig()
	cfg.CleanupPolicy = "compact"
	cfg.SegmentBytes = 64 << 10
	now := time.Now()
	value := make([]byte, 1000)
	var read int64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		l, err := Open(b.TempDir(), "bench", 0, cfg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for l.Size() < 8<<20 {
			bl := record.NewBuilder(record.CodecLZ4)
			for r := 0; r < 16; r++ {
				bl.Add(record.Record{Timestamp: now.UnixMilli(), Key: []byte(fmt.Sprintf("key-%04d", n%1000)), Value: value})
				n++
			}
			batch, err := bl.Build()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.Append(batch, AppendInfo{}); err != nil {
				b.Fatal(err)
			}
		}
		l.SetHighWatermark(l.LogEndOffset())
		c := cfg
		c.SegmentBytes = 1 << 20
		l.SetConfig(c)
		b.StartTimer()
		st, err := l.Clean(now)
		if err != nil || !st.Cleaned {
			b.Fatalf("Clean: %+v, %v", st, err)
		}
		read += st.BytesRead
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(read)/(1<<20)/b.Elapsed().Seconds(), "MB/s")
}
