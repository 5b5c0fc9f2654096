package metadata

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

var (
	testTopicID = UUID{1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16}
	testIncID   = UUID{0xaa, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16}
)

// sampleRecords holds one record of every type, with every field set.
func sampleRecords() []Record {
	return []Record{
		RegisterBrokerRecord{BrokerID: 1, IncarnationID: testIncID, Rack: "r1", Fenced: true,
			Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 9092, SecurityProtocol: 0}}},
		UnfenceBrokerRecord{BrokerID: 1, BrokerEpoch: 2},
		TopicRecord{Name: "orders", ID: testTopicID},
		ConfigRecord{ResourceType: ConfigTopic, ResourceName: "orders", Name: "retention.ms", Value: ptr("1000")},
		PartitionRecord{TopicID: testTopicID, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
		PartitionChangeRecord{TopicID: testTopicID, Partition: 0, PartitionEpoch: 0, Leader: NoLeaderChange,
			ISR: []int32{1}, Replicas: nil, AddingReplicas: []int32{}, ELR: []int32{}},
		ClientQuotaRecord{Entity: QuotaEntity{User: EntityName{Present: true, Name: "alice"}, ClientID: EntityName{Present: true, Default: true}},
			Key: "producer_byte_rate", Value: 1024},
		ProducerIDsRecord{BrokerID: 1, BrokerEpoch: 2, NextProducerID: 1000},
		FeatureLevelRecord{Name: "metadata.version", Level: 21},
		ConfigRecord{ResourceType: ConfigBroker, ResourceName: "", Name: "log.retention.ms"},
		RemoveTopicRecord{TopicID: testTopicID},
		FenceBrokerRecord{BrokerID: 1, BrokerEpoch: 2},
		UnregisterBrokerRecord{BrokerID: 1, BrokerEpoch: 2},
		NoOpRecord{},
		ClusterIDRecord{ClusterID: "c1"},
	}
}

func TestEntryRoundTrip(t *testing.T) {
	in := sampleRecords()
	b, err := EncodeEntry(in...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, in)
	}
	again, err := EncodeEntry(got...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("re-encoding differs:\n got %s\nwant %s", again, b)
	}
	// nil and empty slices stay distinct in a PartitionChange record.
	pc := got[5].(PartitionChangeRecord)
	if pc.Replicas != nil || pc.AddingReplicas == nil || len(pc.AddingReplicas) != 0 {
		t.Errorf("PartitionChange slices: got replicas %#v adding %#v, want nil and empty", pc.Replicas, pc.AddingReplicas)
	}
}

func TestDecodeEntryErrors(t *testing.T) {
	valid, err := EncodeEntry(NoOpRecord{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"unknown format", append([]byte{9}, valid[1:]...), "unknown format 9"},
		{"format byte only", valid[:1], "decode entry"},
		{"truncated", valid[:len(valid)-2], "decode entry"},
		{"trailing garbage", append(append([]byte{}, valid...), "xx"...), "trailing data"},
		{"second value", append(append([]byte{}, valid...), "[]"...), "trailing data"},
		{"no records", []byte("\x01[]"), "no records"},
		{"unknown type", []byte(`` + "\x01" + `[{"type":"Bogus","version":0,"data":{}}]`), `unknown type "Bogus"`},
		{"unknown version", []byte("\x01" + `[{"type":"NoOp","version":7,"data":{}}]`), "unknown NoOp version 7"},
		{"missing data", []byte("\x01" + `[{"type":"NoOp","version":0}]`), "has no data"},
		{"null data", []byte("\x01" + `[{"type":"Topic","version":0,"data":null}]`), "data is null"},
		{"unknown field", []byte("\x01" + `[{"type":"Topic","version":0,"data":{"name":"a","bogus":1}}]`), "unknown field"},
		{"bad uuid", []byte("\x01" + `[{"type":"Topic","version":0,"data":{"name":"a","id":"xyz"}}]`), "parse uuid"},
		{"wrong field type", []byte("\x01" + `[{"type":"Partition","version":0,"data":{"partition":"zero"}}]`), "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEntry(tt.in)
			if err == nil {
				t.Fatalf("got %v, want error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEncodeEntryErrors(t *testing.T) {
	if _, err := EncodeEntry(); err == nil {
		t.Error("EncodeEntry(): got nil error, want one for no records")
	}
	if _, err := EncodeEntry(NoOpRecord{}, nil); err == nil {
		t.Error("EncodeEntry with nil record: got nil error")
	}
}

func TestUUIDText(t *testing.T) {
	tests := []struct {
		name string
		id   UUID
		text string
	}{
		{"zero", UUID{}, "AAAAAAAAAAAAAAAAAAAAAA"},
		{"one", oneUUID, "AAAAAAAAAAAAAAAAAAAAAQ"},
		{"sample", testTopicID, "AQIDBAUGRwiJCgsMDQ4PEA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.String(); got != tt.text {
				t.Errorf("String: got %q, want %q", got, tt.text)
			}
			back, err := ParseUUID(tt.text)
			if err != nil || back != tt.id {
				t.Errorf("ParseUUID(%q): got %v, %v, want %v", tt.text, back, err, tt.id)
			}
		})
	}
	for _, bad := range []string{"", "AAAA", "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAA*A"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q): got nil error", bad)
		}
	}
	for range 200 {
		u, err := NewUUID(nil)
		if err != nil {
			t.Fatal(err)
		}
		if u.IsZero() || u == oneUUID || u.String()[0] == '-' || u[6]>>4 != 4 {
			t.Fatalf("NewUUID returned %v (%x)", u, u[:])
		}
	}
}
