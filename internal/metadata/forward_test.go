package metadata

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/controllerrpc"
)

func TestWireErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode *kerr.Error
		wantMsg  string
	}{
		{"metadata error", newError(kerr.TopicAlreadyExists, "Topic 't' already exists."), kerr.TopicAlreadyExists, "Topic 't' already exists."},
		{"not controller", ErrNotController, kerr.NotController, kerr.NotController.Description},
		{"bare code", kerr.UnknownTopicID, kerr.UnknownTopicID, kerr.UnknownTopicID.Description},
		{"other error keeps its text", errors.New("propose metadata change: disk on fire"), kerr.UnknownServerError, "propose metadata change: disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			back := errorFromWire(errorToWire(tt.err))
			var me *Error
			if !errors.As(back, &me) {
				t.Fatalf("got %T, want *Error", back)
			}
			if me.Code != tt.wantCode || me.Message != tt.wantMsg {
				t.Errorf("got %v %q, want %v %q", me.Code, me.Message, tt.wantCode, tt.wantMsg)
			}
		})
	}
	if errorToWire(nil) != nil || errorFromWire(nil) != nil {
		t.Error("nil error does not stay nil")
	}
	for _, code := range []int16{0, 9999} {
		var me *Error
		if err := errorFromWire(&controllerrpc.Error{Code: code, Message: "x"}); !errors.As(err, &me) || me.Code != kerr.UnknownServerError {
			t.Errorf("code %d: got %v, want UNKNOWN_SERVER_ERROR", code, err)
		}
	}
}

// TestResultsRoundTrip checks that every result type with an error field
// crosses the wire unchanged.
func TestResultsRoundTrip(t *testing.T) {
	e1 := newError(kerr.TopicAlreadyExists, "Topic 'a' already exists.")
	tests := []struct {
		name string
		in   any
		out  any
	}{
		{"topic results", []TopicResult{{Name: "a", Err: e1}, {Name: "b", ID: UUID{1: 1}, NumPartitions: 3, ReplicationFactor: 2, Configs: map[string]string{"k": "v"}}},
			new([]TopicResult)},
		{"delete results", []DeleteTopicResult{{Name: "a", ID: UUID{2: 2}}, {Name: "b", Err: codeError(kerr.UnknownTopicOrPartition)}}, new([]DeleteTopicResult)},
		{"isr results", []ISRChangeResult{{Topic: "t", Partition: 1, Leader: 2, ISR: []int32{2, 3}, LeaderEpoch: 4, PartitionEpoch: 5}, {Topic: "t", Err: codeError(kerr.FencedLeaderEpoch)}},
			new([]ISRChangeResult)},
		{"election results", []ElectionResult{{Topic: "t", Partition: 0}, {Topic: "t", Partition: 1, Err: codeError(kerr.ElectionNotNeeded)}}, new([]ElectionResult)},
		{"error list", errorList{nil, e1}, new(errorList)},
		{"quota ops", []QuotaOp{{Key: "a", Value: 1.5}, {Key: "b", Value: math.Inf(-1)}, {Key: "c", Remove: true}}, new([]QuotaOp)},
		{"topic specs", []TopicSpec{{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1, 2}, 1: {2, 3}}}}, new([]TopicSpec)},
		{"reassignment results", []ReassignmentResult{{Topic: "t", Partition: 1}, {Topic: "u", Err: codeError(kerr.NoReassignmentInProgress)}}, new([]ReassignmentResult)},
		{"reassignments", []Reassignment{{Topic: "t", Replicas: []int32{1, 2}}, {Topic: "t", Partition: 1}, {Topic: "t", Partition: 2, Replicas: []int32{}}},
			new([]Reassignment)},
		{"ongoing reassignments", []OngoingReassignment{{Topic: "t", Replicas: []int32{3, 1}, AddingReplicas: []int32{3}, RemovingReplicas: []int32{1}}},
			new([]OngoingReassignment)},
		{"list all", listReassignmentsRequest{}, new(listReassignmentsRequest)},
		{"list some", listReassignmentsRequest{Topics: []TopicPartitions{{Topic: "t", Partitions: []int32{0}}}}, new(listReassignmentsRequest)},
		{"elect all", electLeadersRequest{Type: UncleanElection}, new(electLeadersRequest)},
		{"elect none", electLeadersRequest{Targets: []TopicPartitions{}}, new(electLeadersRequest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if err := controllerrpc.DecodeJSON(b, tt.out); err != nil {
				t.Fatalf("decode %s: %v", b, err)
			}
			if got := reflect.ValueOf(tt.out).Elem().Interface(); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip of %s:\n got %#v\nwant %#v", b, got, tt.in)
			}
		})
	}
	var op QuotaOp
	if err := json.Unmarshal([]byte(`{"Key":"a","Value":"NaN","Remove":false}`), &op); err != nil || !math.IsNaN(op.Value) {
		t.Errorf("NaN quota value: got %v, %v", op.Value, err)
	}
	if err := json.Unmarshal([]byte(`{"Key":"a","Value":"lots","Remove":false}`), &op); err == nil {
		t.Error("non-numeric quota value: got nil error")
	}
}

// FuzzRPCRequest feeds any body to every method's request decoder, as a
// forwarded request would arrive: decoding never panics, and what decodes
// re-encodes to a body that decodes the same.
func FuzzRPCRequest(f *testing.F) {
	seeds := map[string]any{
		mCreateTopics.name:   createTopicsRequest{Specs: []TopicSpec{{Name: "t", NumPartitions: 3, ReplicationFactor: 1, Configs: map[string]string{"a": "b"}}}},
		mDeleteTopics.name:   []TopicRef{{Name: "t"}, {ID: UUID{1: 1}}},
		mAlterPartition.name: alterPartitionRequest{BrokerID: 1, BrokerEpoch: 5, Changes: []ISRChange{{Topic: "t", NewISR: []int32{1}}}},
		mAlterClientQuotas.name: alterClientQuotasRequest{Alterations: []QuotaAlteration{{Entity: QuotaEntity{User: EntityName{Present: true, Name: "u"}},
			Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1024}}}}},
		mBrokerHeartbeat.name:             BrokerHeartbeat{BrokerID: 1, BrokerEpoch: 4, AppliedIndex: 9, WantShutDown: true},
		mRegisterBroker.name:              BrokerRegistration{ID: 1, IncarnationID: UUID{3: 3}, Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "h", Port: 9092}}},
		mAlterPartitionReassignments.name: []Reassignment{{Topic: "t", Replicas: []int32{2, 1}}, {Topic: "t", Partition: 1}},
		mListPartitionReassignments.name:  listReassignmentsRequest{Topics: []TopicPartitions{{Topic: "t", Partitions: []int32{0, 1}}}},
	}
	for name, req := range seeds {
		b, err := json.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		addBodySeeds(f, name, b)
	}
	f.Add("UpdateFeatures", []byte(`{"metadata.version":21}`))
	f.Add("ElectLeaders", []byte(`{"Type":0,"Targets":null}`))
	f.Add("Nope", []byte(`{}`))
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		m, ok := rpcMethods[name]
		if !ok {
			return
		}
		dec, ok := m.(interface {
			decodeRequest(json.RawMessage) (any, error)
		})
		if !ok {
			t.Fatalf("method %s has no request decoder", name)
		}
		req, err := dec.decodeRequest(body)
		if err != nil {
			return
		}
		enc, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encode decoded %s request: %v", name, err)
		}
		again, err := dec.decodeRequest(enc)
		if err != nil {
			t.Fatalf("decode re-encoded %s request %s: %v", name, enc, err)
		}
		if !reflect.DeepEqual(again, req) && !hasNaN(enc) {
			t.Fatalf("%s request round trip changed it:\n got %#v\nwant %#v", name, again, req)
		}
	})
}

// FuzzRPCResult feeds any body to every method's result decoder, as a
// forwarded response would arrive.
func FuzzRPCResult(f *testing.F) {
	results := map[string]any{
		mCreateTopics.name:                rpcResult[[]TopicResult]{R: []TopicResult{{Name: "t", Err: ErrNotController}}},
		mAlterClientQuotas.name:           rpcResult[errorList]{R: errorList{nil, codeError(kerr.InvalidRequest)}},
		mBrokerHeartbeat.name:             rpcResult[BrokerHeartbeatReply]{R: BrokerHeartbeatReply{IsCaughtUp: true}},
		mRegisterBroker.name:              rpcResult[int64]{R: 42},
		mAlterPartitionReassignments.name: rpcResult[[]ReassignmentResult]{R: []ReassignmentResult{{Topic: "t", Err: codeError(kerr.InvalidReplicaAssignment)}}},
		mListPartitionReassignments.name: rpcResult[[]OngoingReassignment]{R: []OngoingReassignment{{Topic: "t", Replicas: []int32{2, 1},
			AddingReplicas: []int32{2}, RemovingReplicas: []int32{1}}}},
	}
	for name, r := range results {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		addBodySeeds(f, name, b)
	}
	f.Add("AlterPartition", []byte(`{"r":[{"Topic":"t","Err":{"code":-1,"message":"x"}}]}`))
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		m, ok := rpcMethods[name]
		if !ok {
			return
		}
		dec := m.(interface {
			decodeResult(json.RawMessage) (any, error)
		})
		res, err := dec.decodeResult(body)
		if err != nil {
			return
		}
		enc, err := json.Marshal(res)
		if err != nil {
			t.Fatalf("re-encode decoded %s result: %v", name, err)
		}
		if _, err := dec.decodeResult(enc); err != nil {
			t.Fatalf("decode re-encoded %s result %s: %v", name, enc, err)
		}
	})
}

// hasNaN reports whether an encoded request carries a NaN quota value,
// which never equals itself.
func hasNaN(b []byte) bool {
	var v struct{ Alterations []QuotaAlteration }
	if json.Unmarshal(b, &v) != nil {
		return false
	}
	for _, a := range v.Alterations {
		for _, op := range a.Ops {
			if math.IsNaN(op.Value) {
				return true
			}
		}
	}
	return false
}

// FuzzDecodeSnapshot checks that decoding any raft snapshot content never
// panics, and that what decodes re-encodes to the same image and term.
func FuzzDecodeSnapshot(f *testing.F) {
	img := fuzzBaseImage(f)
	valid, err := encodeSnapshot(img, 7)
	if err != nil {
		f.Fatal(err)
	}
	bare, err := EncodeImage(img)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{snapshotTermFormat})
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(append([]byte{}, valid...), "garbage"...))
	f.Add(bare)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, term, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		enc, err := encodeSnapshot(got, term)
		if err != nil {
			t.Fatal(err)
		}
		again, term2, err := decodeSnapshot(enc)
		if err != nil || term2 != term {
			t.Fatalf("decode re-encoded snapshot: term %d, %v; want term %d", term2, err, term)
		}
		x, _ := EncodeImage(got)
		y, _ := EncodeImage(again)
		if string(x) != string(y) {
			t.Fatal("snapshot round trip changed the image")
		}
	})
}

// FuzzReadClusterHeader checks the raft connection header decoder: no
// panic, never more bytes consumed than given, and a decoded id re-encodes
// to the bytes it came from.
func FuzzReadClusterHeader(f *testing.F) {
	valid, err := clusterHeader(testClusterID)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff})
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(append([]byte{}, valid...), "garbage"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		id, err := readClusterHeader(r)
		if err != nil {
			return
		}
		consumed := len(b) - r.Len()
		enc, err := clusterHeader(id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, b[:consumed]) {
			t.Fatalf("header %q re-encodes as %q", b[:consumed], enc)
		}
	})
}

// addBodySeeds seeds f with a method name and the empty, valid, truncated
// and valid-plus-garbage forms of the body b.
func addBodySeeds(f *testing.F, name string, b []byte) {
	f.Add(name, []byte{})
	f.Add(name, b)
	f.Add(name, b[:len(b)/2])
	f.Add(name, append(append([]byte{}, b...), "garbage"...))
}
