package replica

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// fetchResponseFrame encodes a Fetch response frame as a leader sends it
// (without the size prefix): correlation id, header tags, body.
func fetchResponseFrame(tb testing.TB, version int16, corr int32, records []byte) []byte {
	tb.Helper()
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = version
	t := kmsg.NewFetchResponseTopic()
	t.Topic, t.TopicID = "t", [16]byte{1}
	p := kmsg.NewFetchResponseTopicPartition()
	p.HighWatermark, p.LastStableOffset, p.LogStartOffset = 5, 5, 0
	p.DivergingEpoch.Epoch, p.DivergingEpoch.EndOffset = 2, 3
	p.RecordBatches = records
	t.Partitions = append(t.Partitions, p)
	resp.Topics = append(resp.Topics, t)
	frame := binary.BigEndian.AppendUint32(nil, uint32(corr))
	if resp.IsFlexible() {
		frame = append(frame, 0)
	}
	return resp.AppendTo(frame)
}

func TestDecodeResponse(t *testing.T) {
	t.Parallel()
	valid := fetchResponseFrame(t, 13, 7, leaderBatch(t, 0, 1, 2))
	withTag := append(binary.BigEndian.AppendUint32(nil, 7), 1, 9, 2, 0xaa, 0xbb)
	withTag = append(withTag, valid[5:]...)
	cases := []struct {
		name    string
		frame   []byte
		corr    int32
		wantErr bool
	}{
		{"valid", valid, 7, false},
		{"unknown header tag skipped", withTag, 7, false},
		{"empty", nil, 7, true},
		{"correlation id only", valid[:4], 7, true},
		{"wrong correlation id", valid, 8, true},
		{"truncated body", valid[:len(valid)-3], 7, true},
		{"header tag longer than the frame", append(binary.BigEndian.AppendUint32(nil, 7), 1, 9, 100), 7, true},
	}
	for _, tc := range cases {
		resp := &kmsg.FetchResponse{Version: 13}
		err := decodeResponse(tc.frame, tc.corr, resp)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: error = %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil {
			if got := resp.Topics[0].Partitions[0].DivergingEpoch; got.Epoch != 2 || got.EndOffset != 3 {
				t.Errorf("%s: diverging epoch = %+v, want 2/3", tc.name, got)
			}
		}
	}
}

// FuzzDecodeResponse feeds arbitrary frames to the response decoder: it
// must not panic, and whatever it accepts must encode and decode again to
// the same bytes.
func FuzzDecodeResponse(f *testing.F) {
	batch := leaderBatch(f, 0, 1, 3)
	for _, v := range []int16{12, 13, 15, 17} {
		valid := fetchResponseFrame(f, v, 1, batch)
		f.Add(v, []byte{})
		f.Add(v, valid[:len(valid)/2])
		f.Add(v, valid)
		f.Add(v, append(bytes.Clone(valid), 0xde, 0xad, 0xbe, 0xef))
	}
	f.Fuzz(func(t *testing.T, version int16, frame []byte) {
		if version < 12 || version > 17 {
			version = 12 + (version&0x7fff)%6
		}
		resp := &kmsg.FetchResponse{Version: version}
		if err := decodeResponse(frame, 1, resp); err != nil {
			return
		}
		again := binary.BigEndian.AppendUint32(nil, 1)
		again = append(again, 0)
		again = resp.AppendTo(again)
		resp2 := &kmsg.FetchResponse{Version: version}
		if err := decodeResponse(again, 1, resp2); err != nil {
			t.Fatalf("re-encoded response does not decode: %v", err)
		}
		third := resp2.AppendTo(binary.BigEndian.AppendUint32(nil, 1))
		if !bytes.Equal(third[4:], again[5:]) {
			t.Fatalf("encode/decode is not stable")
		}
	})
}

func TestSkipTags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		in       []byte
		wantRest []byte
		wantErr  bool
	}{
		{"no tags", []byte{0, 1, 2}, []byte{1, 2}, false},
		{"two tags", []byte{2, 0, 1, 0xff, 5, 0, 9}, []byte{9}, false},
		{"empty", nil, nil, true},
		{"count without tags", []byte{3}, nil, true},
		{"length beyond the input", []byte{1, 0, 5, 1}, nil, true},
		{"huge count", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, nil, true},
	}
	for _, tc := range cases {
		rest, err := skipTags(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && !bytes.Equal(rest, tc.wantRest)) {
			t.Errorf("%s: got %v, %v; want %v, error %v", tc.name, rest, err, tc.wantRest, tc.wantErr)
		}
	}
}

func TestWholeBatches(t *testing.T) {
	t.Parallel()
	b1 := leaderBatch(t, 0, 1, 2)
	b2 := leaderBatch(t, 2, 1, 3)
	two := append(bytes.Clone(b1), b2...)
	cases := []struct {
		name string
		in   []byte
		want int
	}{
		{"empty", nil, 0},
		{"one batch", b1, len(b1)},
		{"two batches", two, len(two)},
		{"second batch cut", two[:len(two)-1], len(b1)},
		{"only part of a header", two[:len(b1)+11], len(b1)},
		{"first batch cut", b1[:len(b1)-1], 0},
		{"nonsense length is kept for the log to reject", append(make([]byte, 8), 0xff, 0xff, 0xff, 0xff, 1), 13},
	}
	for _, tc := range cases {
		if got := len(wholeBatches(tc.in)); got != tc.want {
			t.Errorf("%s: %d bytes kept, want %d", tc.name, got, tc.want)
		}
	}
}

// FuzzWholeBatches checks that wholeBatches returns a prefix of its input
// and never panics.
func FuzzWholeBatches(f *testing.F) {
	b := leaderBatch(f, 0, 1, 3)
	f.Add([]byte{})
	f.Add(b[:20])
	f.Add(b)
	f.Add(append(bytes.Clone(b), 1, 2, 3))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := wholeBatches(in)
		if len(out) > len(in) || !bytes.Equal(out, in[:len(out)]) {
			t.Fatalf("result is not a prefix of the input")
		}
	})
}
