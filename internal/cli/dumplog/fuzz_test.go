package dumplog

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/record"
)

// fixture reads a file of the repository's Kafka fixture tree.
func fixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "segments", rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fixtureRecords returns the keys and values of every v2 record in a
// fixture segment, to seed the record decoders' fuzz targets.
func fixtureRecords(tb testing.TB, rel string, limit int) (keys, values [][]byte) {
	tb.Helper()
	it := record.NewIterator(fixture(tb, rel))
	for it.Next() && len(keys) < limit {
		b, ok := it.Entry().Batch()
		if !ok {
			continue
		}
		_ = b.EachRecord(func(r *record.Record) error {
			keys = append(keys, append([]byte(nil), r.Key...))
			values = append(values, append([]byte(nil), r.Value...))
			return nil
		})
	}
	return keys, values
}

// seedVariants adds the empty, truncated, valid and valid-plus-garbage
// forms of b.
func seedVariants(b []byte) [][]byte {
	return [][]byte{{}, b[:len(b)/2], b, append(append([]byte{}, b...), 0xde, 0xad, 0xbe, 0xef)}
}

func FuzzMetadataRecord(f *testing.F) {
	_, values := fixtureRecords(f, "kraft-broker-ldi-poc/__cluster_metadata-0/00000000000000000000.log", 1000)
	seen := map[byte]bool{}
	for _, v := range values {
		if len(v) > 1 && !seen[v[1]] { // one value per record type
			seen[v[1]] = true
			for _, s := range seedVariants(v) {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		out, err := decodeMetadataRecord(value)
		if err == nil && !json.Valid([]byte(out)) {
			t.Fatalf("invalid JSON %q", out)
		}
	})
}

func FuzzOffsetsRecord(f *testing.F) {
	keys, values := fixtureRecords(f, "kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000000.log", 13)
	for i := range keys {
		for _, k := range seedVariants(keys[i]) {
			f.Add(k, values[i])
		}
		for _, v := range seedVariants(values[i]) {
			f.Add(keys[i], v)
		}
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		k, v, err := parseOffsetsRecord(5, key, value)
		if err != nil {
			return
		}
		for _, s := range []*string{k, v} {
			if s != nil && strings.HasPrefix(*s, "{") && !json.Valid([]byte(*s)) {
				t.Fatalf("invalid JSON %q", *s)
			}
		}
	})
}

func FuzzTransactionLogRecord(f *testing.F) {
	v := txnValue(7, 1, 60000, 1, map[string][]int32{"t": {0, 1, 2}, "u": {5, 4, 3, 2, 1, 0}}, []string{"t", "u"}, 1, 2)
	for _, s := range seedVariants(v) {
		f.Add(txnKey("tx"), s)
	}
	for _, s := range seedVariants(txnKey("tx")) {
		f.Add(s, v)
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		_, _, _ = formatTxnRecord(key, value)
	})
}

func FuzzControlRecord(f *testing.F) {
	keys, values := fixtureRecords(f, "kraft-broker-ronem123/__cluster_metadata-0/00000000000001130557-0000000001.checkpoint", 3)
	for i := range keys {
		for _, v := range seedVariants(values[i]) {
			f.Add(keys[i], v)
		}
	}
	for _, k := range seedVariants([]byte{0, 0, 0, 1}) {
		f.Add(k, []byte{0, 0, 0, 0, 0, 5})
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		if s, err := controlSuffix(key, value); err == nil {
			if _, js, ok := strings.Cut(s, "{"); ok && !json.Valid([]byte("{"+js)) {
				t.Fatalf("invalid JSON in %q", s)
			}
		}
		_, _ = controlJSON(key, value)
	})
}

func FuzzProducerSnapshot(f *testing.F) {
	for _, s := range seedVariants(fixture(f, "kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000013.snapshot")) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := parseProducerSnapshot(b)
		if err == nil && len(entries)*producerSnapshotEntrySize+10 > len(b) {
			t.Fatalf("%d entries from %d bytes", len(entries), len(b))
		}
	})
}

func FuzzTxnIndex(f *testing.F) {
	entry := make([]byte, abortedTxnSize)
	entry[9] = 7
	for _, s := range seedVariants(append(entry, entry...)) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		txns, trailing, err := parseTxnIndex(b)
		if err == nil && len(txns)*abortedTxnSize+trailing != len(b) {
			t.Fatalf("%d entries and %d trailing bytes from %d bytes", len(txns), trailing, len(b))
		}
	})
}

// FuzzDumpLog runs the whole tool over arbitrary segment bytes, in text
// and JSON, with every decoder: it must never panic, and a clean exit must
// leave stderr empty.
func FuzzDumpLog(f *testing.F) {
	for _, rel := range []string{
		"kraft-broker-ldi-poc/bootstrap.checkpoint",
		"zk-broker-shinhagunn/mytopic-0/00000000000000000000.log",
		"wire-captures/kafka-go/v1-v1c-v2-v2c-v2b-v2b-v2b-v2bc-v1b-v1bc.records.log",
		"wire-captures/kafka-rust/fetch1.mytopic.1p.snappy.kafka.0821.records.log",
	} {
		for _, s := range seedVariants(fixture(f, rel)) {
			f.Add(s)
		}
	}
	_, seg := builtSegment(f)
	for _, s := range seedVariants(seg) {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		tmp, err := os.CreateTemp(dir, "seg")
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(b); err != nil {
			t.Fatal(err)
		}
		tmp.Close()
		path := tmp.Name() + ".log"
		if err := os.Rename(tmp.Name(), path); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		for _, extra := range [][]string{{"--print-data-log"}, {"--offsets-decoder", "--output", "json"}, {"--cluster-metadata-decoder"}, {"--transaction-log-decoder"}} {
			var out, errOut bytes.Buffer
			args := append([]string{"--files", path}, extra...)
			code := Main(context.Background(), args, cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			if code == 0 && errOut.Len() > 0 && !strings.Contains(errOut.String(), "does not start with a base offset") {
				t.Fatalf("exit 0 with stderr %q", errOut.String())
			}
		}
	})
}
