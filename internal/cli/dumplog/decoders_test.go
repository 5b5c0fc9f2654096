package dumplog

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"defaults", Options{MaxBytes: defaultMaxBytes, MaxMessageSize: defaultMaxMessageSize}, ""},
		{"json", Options{Output: "json"}, ""},
		{"negative max bytes", Options{MaxBytes: -1}, "must not be negative"},
		{"negative max message size", Options{MaxMessageSize: -5}, "must not be negative"},
		{"unknown output", Options{Output: "yaml"}, `Invalid --output "yaml"`},
		{"remote log metadata", Options{RemoteLogMetadataDecoder: true}, "not supported"},
		{"remote log metadata after offsets", Options{RemoteLogMetadataDecoder: true, OffsetsDecoder: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got error %q, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestJavaString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"ascii", []byte("hello"), "hello"},
		{"utf8", []byte("héllo ✓"), "héllo ✓"},
		{"lone continuation", []byte{'a', 0x80, 'b'}, "a\uFFFDb"},
		{"truncated three-byte sequence is one replacement", []byte{0xE2, 0x82, 'A'}, "\uFFFDA"},
		{"bad second byte", []byte{0xE0, 0x80, 'A'}, "\uFFFD\uFFFDA"},
		{"surrogate", []byte{0xED, 0xA0, 0x80}, "\uFFFD\uFFFD\uFFFD"},
		{"truncated at end", []byte{'x', 0xF0, 0x9F, 0x98}, "x\uFFFD"},
		{"invalid lead", []byte{0xFF, 0xC0}, "\uFFFD\uFFFD"},
	}
	for _, tc := range tests {
		if got := javaString(tc.in); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestJSONString(t *testing.T) {
	t.Parallel()
	o := &jobj{}
	o.set("s", "a\"b\\c\n\t\x01\x1f<>&é")
	o.set("n", nil)
	o.set("b", []byte{0, 1, 2, 250})
	o.set("arr", []any{int64(-1), true, 1.5, 1e7, 0.0001, math.NaN()})
	want := `{"s":"a\"b\\c\n\t\u0001\u001F<>&é","n":null,"b":"AAEC+g==","arr":[-1,true,1.5,1.0E7,1.0E-4,"NaN"]}`
	if got := jsonString(o); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// txnValue encodes a TransactionLogValue v0.
func txnValue(pid int64, epoch int16, timeout int32, state int8, topics map[string][]int32, order []string, last, start int64) []byte {
	b := binary.BigEndian.AppendUint16(nil, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(pid))
	b = binary.BigEndian.AppendUint16(b, uint16(epoch))
	b = binary.BigEndian.AppendUint32(b, uint32(timeout))
	b = append(b, byte(state))
	b = binary.BigEndian.AppendUint32(b, uint32(len(order)))
	for _, tp := range order {
		b = binary.BigEndian.AppendUint16(b, uint16(len(tp)))
		b = append(b, tp...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(topics[tp])))
		for _, p := range topics[tp] {
			b = binary.BigEndian.AppendUint32(b, uint32(p))
		}
	}
	b = binary.BigEndian.AppendUint64(b, uint64(last))
	return binary.BigEndian.AppendUint64(b, uint64(start))
}

func txnKey(id string) []byte {
	b := binary.BigEndian.AppendUint16(nil, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	return append(b, id...)
}

func TestTransactionLogDecoder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		key, value []byte
		wantKey    string
		wantValue  string // "" when absent
		wantErr    string
	}{
		{
			name:      "ongoing",
			key:       txnKey("tx-1"),
			value:     txnValue(7, 1, 60000, 1, map[string][]int32{"t": {0, 1, 2}}, []string{"t"}, 1700000000000, 1699999999000),
			wantKey:   "transaction_metadata::transactionalId=tx-1",
			wantValue: "producerId:7,producerEpoch:1,state=Ongoing,partitions=[t-2,t-1,t-0],txnLastUpdateTimestamp=1700000000000,txnTimeoutMs=60000",
		},
		{
			name:      "empty lists no partitions",
			key:       txnKey("tx-2"),
			value:     txnValue(8, 0, 1000, 0, map[string][]int32{"t": {0}}, []string{"t"}, 5, -1),
			wantKey:   "transaction_metadata::transactionalId=tx-2",
			wantValue: "producerId:8,producerEpoch:0,state=Empty,partitions=[],txnLastUpdateTimestamp=5,txnTimeoutMs=1000",
		},
		{
			name:      "tombstone",
			key:       txnKey("tx-3"),
			wantKey:   "transaction_metadata::transactionalId=tx-3",
			wantValue: "<DELETE>",
		},
		{
			name:    "unknown key version",
			key:     []byte{0, 5, 0, 0},
			wantKey: "unknown::version=5",
		},
		{
			name:    "unknown state",
			key:     txnKey("tx-4"),
			value:   txnValue(8, 0, 1000, 9, nil, nil, 5, -1),
			wantErr: "unknown transaction state id 9",
		},
		{
			name:    "truncated value",
			key:     txnKey("tx-5"),
			value:   []byte{0, 0, 1, 2},
			wantErr: "transaction log value",
		},
	}
	for _, tc := range tests {
		k, v, err := formatTxnRecord(tc.key, tc.value)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: got error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if k == nil || *k != tc.wantKey {
			t.Errorf("%s: key got %v, want %q", tc.name, k, tc.wantKey)
		}
		gotV := ""
		if v != nil {
			gotV = *v
		}
		if gotV != tc.wantValue {
			t.Errorf("%s: value got %q, want %q", tc.name, gotV, tc.wantValue)
		}
	}
}

func TestMetadataDecoderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value []byte
		want  string
	}{
		{"topic record", append([]byte{1, 2, 0, 2, 't'}, append(make([]byte, 16), 0)...), `{"type":"TOPIC_RECORD","version":0,"data":{"name":"t","topicId":"AAAAAAAAAAAAAAAAAAAAAA"}}`},
		{"frame 0", []byte{0, 2, 0}, "Could not deserialize metadata record with frame version 0."},
		{"frame 2", []byte{2, 2, 0}, "Could not deserialize metadata record due to unknown frame version 2(only frame version 1 is supported)"},
		{"empty", nil, "Error while reading frame version"},
		{"unknown type", []byte{1, 99, 0}, "org.apache.kafka.common.errors.UnsupportedVersionException: Unknown metadata id 99"},
		{"truncated", []byte{1, 2, 0, 2}, "Failed to deserialize record with type 2"},
		{"garbage after", []byte{1, 20, 0, 0, 7, 7}, "Found 2 byte(s) of garbage after 20"},
		{"type too large", []byte{1, 0xff, 0xff, 0x03, 0}, "Value for type was too large."},
	}
	for _, tc := range tests {
		got, err := decodeMetadataRecord(tc.value)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
