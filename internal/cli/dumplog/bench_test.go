package dumplog

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// BenchmarkDumpLog measures dump throughput over the largest fixture
// segment (874 KB, 12105 batches of KRaft metadata records):
//
//	go test ./internal/cli/dumplog -run '^$' -bench DumpLog -benchmem
func BenchmarkDumpLog(b *testing.B) {
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "testdata", "segments",
		"kraft-broker-ronem123", "__cluster_metadata-0", "00000000000001725413.log"))
	if err != nil {
		b.Fatal(err)
	}
	size := len(fixture(b, "kraft-broker-ronem123/__cluster_metadata-0/00000000000001725413.log"))
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"shallow", nil},
		{"deep", []string{"--deep-iteration"}},
		{"metadata-decoder", []string{"--cluster-metadata-decoder"}},
		{"json", []string{"--cluster-metadata-decoder", "--output", "json"}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			args := append([]string{"--files", path}, mode.args...)
			for b.Loop() {
				if code := Main(context.Background(), args, cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}
