package metadata

import (
	"reflect"
	"testing"
)

// FuzzDecodeEntry checks that decoding any bytes never panics, that whatever
// decodes re-encodes and decodes to the same records, and that applying it
// to a populated image never panics and leaves that image unchanged.
func FuzzDecodeEntry(f *testing.F) {
	valid, err := EncodeEntry(sampleRecords()...)
	if err != nil {
		f.Fatal(err)
	}
	create := createEntry(f)
	f.Add([]byte{})
	f.Add([]byte{entryFormat})
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(append([]byte{}, valid...), "garbage"...))
	f.Add(create)
	f.Add([]byte("\x01" + `[{"type":"PartitionChange","version":0,"data":{"topicId":"AQIDBAUGRwiJCgsMDQ4PEA","partition":0,"partitionEpoch":0,"leader":7,"isr":[7,7]}}]`))
	f.Add([]byte("\x01" + `[{"type":"Config","version":0,"data":{"resourceType":2,"resourceName":"orders","name":"a","value":null}}]`))
	base := fuzzBaseImage(f)
	before, err := EncodeImage(base)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := DecodeEntry(b)
		if err != nil {
			return
		}
		enc, err := EncodeEntry(recs...)
		if err != nil {
			t.Fatalf("re-encode decoded records: %v", err)
		}
		again, err := DecodeEntry(enc)
		if err != nil {
			t.Fatalf("decode re-encoded records: %v", err)
		}
		if !reflect.DeepEqual(again, recs) {
			t.Fatalf("round trip changed records:\n got %#v\nwant %#v", again, recs)
		}
		next, _ := applyEntry(base, base.Index+1, recs)
		if next.Index != base.Index+1 {
			t.Fatalf("applied image index %d, want %d", next.Index, base.Index+1)
		}
		if _, err := EncodeImage(next); err != nil {
			t.Fatalf("encode applied image: %v", err)
		}
		after, _ := EncodeImage(base)
		if string(after) != string(before) {
			t.Fatal("applying an entry modified the previous image")
		}
	})
}

// FuzzDecodeImage checks that decoding any snapshot bytes never panics and
// that an image that decodes encodes back to the same bytes it decodes from.
func FuzzDecodeImage(f *testing.F) {
	valid, err := EncodeImage(fuzzBaseImage(f))
	if err != nil {
		f.Fatal(err)
	}
	empty, _ := EncodeImage(emptyImage())
	f.Add([]byte{})
	f.Add([]byte{snapshotFormat})
	f.Add(empty)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(append([]byte{}, valid...), '}'))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := DecodeImage(b)
		if err != nil {
			return
		}
		enc, err := EncodeImage(img)
		if err != nil {
			t.Fatalf("encode decoded image: %v", err)
		}
		again, err := DecodeImage(enc)
		if err != nil {
			t.Fatalf("decode re-encoded image: %v", err)
		}
		enc2, _ := EncodeImage(again)
		if string(enc2) != string(enc) {
			t.Fatalf("image round trip not stable:\n%s\n%s", enc, enc2)
		}
	})
}

func createEntry(tb testing.TB) []byte {
	b, err := EncodeEntry(
		TopicRecord{Name: "t2", ID: UUID{9: 9}},
		PartitionRecord{TopicID: UUID{9: 9}, Partition: 0, Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 1},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fuzzBaseImage is an image with a broker, a topic with configs, a quota
// and a feature, built by applying records.
func fuzzBaseImage(tb testing.TB) *Image {
	img := emptyImage()
	steps := [][]Record{
		{ClusterIDRecord{ClusterID: "c1"}},
		{RegisterBrokerRecord{BrokerID: 1, IncarnationID: testIncID, Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "h", Port: 1}}}},
		{RegisterBrokerRecord{BrokerID: 2, IncarnationID: testIncID, Rack: "r", Fenced: true}},
		{
			TopicRecord{Name: "orders", ID: testTopicID},
			ConfigRecord{ResourceType: ConfigTopic, ResourceName: "orders", Name: "retention.ms", Value: ptr("1")},
			PartitionRecord{TopicID: testTopicID, Partition: 0, Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: 1},
			PartitionRecord{TopicID: testTopicID, Partition: 1, Replicas: []int32{2, 1}, ISR: []int32{1}, Leader: 1},
		},
		{ClientQuotaRecord{Entity: QuotaEntity{User: EntityName{Present: true, Name: "u"}}, Key: "producer_byte_rate", Value: 10}},
		{FeatureLevelRecord{Name: "metadata.version", Level: 21}},
		{ProducerIDsRecord{BrokerID: 1, BrokerEpoch: 2, NextProducerID: 1000}},
	}
	for i, recs := range steps {
		next, err := applyEntry(img, uint64(i+1), recs)
		if err != nil {
			tb.Fatalf("step %d: %v", i, err)
		}
		img = next
	}
	return img
}
