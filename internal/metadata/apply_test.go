package metadata

import (
	"errors"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

func mustApply(t *testing.T, img *Image, recs ...Record) *Image {
	t.Helper()
	next, err := applyEntry(img, img.Index+1, recs)
	if err != nil {
		t.Fatalf("apply %T...: %v", recs[0], err)
	}
	return next
}

func TestApplyRejects(t *testing.T) {
	otherID := UUID{7: 7}
	tests := []struct {
		name string
		recs []Record
		want *kerr.Error
	}{
		{"topic name exists with another id", []Record{TopicRecord{Name: "orders", ID: otherID}}, kerr.TopicAlreadyExists},
		{"topic name exists with the same id", []Record{TopicRecord{Name: "orders", ID: testTopicID}}, kerr.TopicAlreadyExists},
		{"topic id in use", []Record{TopicRecord{Name: "other", ID: testTopicID}}, kerr.InvalidRequest},
		{"zero topic id", []Record{TopicRecord{Name: "other"}}, kerr.InvalidRequest},
		{"invalid topic name", []Record{TopicRecord{Name: "../x", ID: otherID}}, kerr.InvalidTopicException},
		{"partition of unknown topic", []Record{PartitionRecord{TopicID: otherID, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}}, kerr.UnknownTopicID},
		{"partition out of order", []Record{PartitionRecord{TopicID: testTopicID, Partition: 5, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}}, kerr.InvalidRequest},
		{"partition leader not a replica", []Record{PartitionRecord{TopicID: testTopicID, Partition: 2, Replicas: []int32{1}, ISR: []int32{1}, Leader: 3}}, kerr.InvalidRequest},
		{"partition isr not replicas", []Record{PartitionRecord{TopicID: testTopicID, Partition: 2, Replicas: []int32{1}, ISR: []int32{1, 2}, Leader: 1}}, kerr.InvalidRequest},
		{"partition duplicate replicas", []Record{PartitionRecord{TopicID: testTopicID, Partition: 2, Replicas: []int32{1, 1}, ISR: []int32{1}, Leader: 1}}, kerr.InvalidRequest},
		{"change with stale partition epoch", []Record{PartitionChangeRecord{TopicID: testTopicID, Partition: 0, PartitionEpoch: 3, Leader: 2}}, kerr.InvalidUpdateVersion},
		{"change of unknown partition", []Record{PartitionChangeRecord{TopicID: testTopicID, Partition: 9, Leader: 2}}, kerr.UnknownTopicOrPartition},
		{"change leader not a replica", []Record{PartitionChangeRecord{TopicID: testTopicID, Partition: 0, Leader: 9}}, kerr.InvalidRequest},
		{"remove unknown topic", []Record{RemoveTopicRecord{TopicID: otherID}}, kerr.UnknownTopicID},
		{"fence with stale epoch", []Record{FenceBrokerRecord{BrokerID: 1, BrokerEpoch: 99}}, kerr.StaleBrokerEpoch},
		{"unfence unknown broker", []Record{UnfenceBrokerRecord{BrokerID: 9, BrokerEpoch: 2}}, kerr.BrokerIDNotRegistered},
		{"config of unknown topic", []Record{ConfigRecord{ResourceType: ConfigTopic, ResourceName: "nope", Name: "a", Value: ptr("b")}}, kerr.UnknownTopicOrPartition},
		{"config of bad broker name", []Record{ConfigRecord{ResourceType: ConfigBroker, ResourceName: "x", Name: "a", Value: ptr("b")}}, kerr.InvalidRequest},
		{"producer ids going back", []Record{ProducerIDsRecord{BrokerID: 1, NextProducerID: 1000}}, kerr.InvalidRequest},
		{"other cluster id", []Record{ClusterIDRecord{ClusterID: "c2"}}, kerr.InconsistentClusterID},
		{"empty quota entity", []Record{ClientQuotaRecord{Key: "k", Value: 1}}, kerr.InvalidRequest},
		{"later record invalid", []Record{TopicRecord{Name: "fresh", ID: otherID}, RemoveTopicRecord{TopicID: UUID{3: 3}}}, kerr.UnknownTopicID},
	}
	base := fuzzBaseImage(t)
	before, _ := EncodeImage(base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := applyEntry(base, base.Index+1, tt.recs)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %s", err, tt.want.Message)
			}
			// Rejected: nothing changes but the index.
			want := *base
			want.Index++
			got, _ := EncodeImage(next)
			exp, _ := EncodeImage(&want)
			if string(got) != string(exp) {
				t.Errorf("rejected entry changed the image:\n got %s\nwant %s", got, exp)
			}
		})
	}
	after, _ := EncodeImage(base)
	if string(after) != string(before) {
		t.Error("applying entries modified the base image")
	}
}

func TestApplyEffects(t *testing.T) {
	img := fuzzBaseImage(t)
	base := img

	t.Run("broker epoch is the entry index", func(t *testing.T) {
		if got, want := img.Brokers[1].Epoch, int64(2); got != want {
			t.Errorf("got epoch %d, want %d", got, want)
		}
	})
	t.Run("partition change bumps epochs", func(t *testing.T) {
		next := mustApply(t, img, PartitionChangeRecord{TopicID: testTopicID, Partition: 0, PartitionEpoch: 0, Leader: 2, ISR: []int32{2}})
		p := next.Partition("orders", 0)
		if p.Leader != 2 || p.LeaderEpoch != 1 || p.PartitionEpoch != 1 || !slices.Equal(p.ISR, []int32{2}) {
			t.Errorf("got %+v, want leader 2, epochs 1/1, isr [2]", p)
		}
		next = mustApply(t, next, PartitionChangeRecord{TopicID: testTopicID, Partition: 0, PartitionEpoch: 1, Leader: NoLeaderChange, ISR: []int32{2, 1}})
		p = next.Partition("orders", 0)
		if p.Leader != 2 || p.LeaderEpoch != 1 || p.PartitionEpoch != 2 {
			t.Errorf("ISR-only change: got %+v, want leader epoch 1, partition epoch 2", p)
		}
		if q := img.Partition("orders", 0); q.Leader != 1 || q.PartitionEpoch != 0 {
			t.Errorf("previous image changed: %+v", q)
		}
	})
	t.Run("remove topic drops its configs and recreate gets a new id", func(t *testing.T) {
		next := mustApply(t, img, RemoveTopicRecord{TopicID: testTopicID})
		if next.Topics["orders"] != nil || next.TopicByID(testTopicID) != nil || next.TopicConfigs("orders") != nil {
			t.Fatalf("topic or configs still present: %+v %+v", next.Topics["orders"], next.TopicConfigs("orders"))
		}
		newID := UUID{5: 5}
		next = mustApply(t, next, TopicRecord{Name: "orders", ID: newID})
		if got := next.Topics["orders"].ID; got != newID {
			t.Errorf("recreated id: got %v, want %v", got, newID)
		}
		if base.Topics["orders"].ID != testTopicID || base.TopicConfigs("orders")["retention.ms"] != "1" {
			t.Error("previous image changed")
		}
	})
	t.Run("config set and delete", func(t *testing.T) {
		res := ConfigResource{Type: ConfigBroker, Name: "1"}
		next := mustApply(t, img, ConfigRecord{ResourceType: ConfigBroker, ResourceName: "1", Name: "a", Value: ptr("x")},
			ConfigRecord{ResourceType: ConfigBroker, ResourceName: "1", Name: "a"},
			ConfigRecord{ResourceType: ConfigBroker, ResourceName: "1", Name: "b", Value: ptr("y")})
		if got := next.Configs[res]; len(got) != 1 || got["b"] != "y" {
			t.Errorf("got %v, want map[b:y]", got)
		}
		next = mustApply(t, next, ConfigRecord{ResourceType: ConfigBroker, ResourceName: "1", Name: "b"})
		if _, ok := next.Configs[res]; ok {
			t.Error("empty config set still present")
		}
	})
	t.Run("fence and unfence", func(t *testing.T) {
		next := mustApply(t, img, FenceBrokerRecord{BrokerID: 1, BrokerEpoch: 2})
		if !next.Brokers[1].Fenced || img.Brokers[1].Fenced {
			t.Errorf("fenced: got %v (previous %v), want true (false)", next.Brokers[1].Fenced, img.Brokers[1].Fenced)
		}
		if got := len(next.LiveBrokers()); got != 0 {
			t.Errorf("live brokers: got %d, want 0", got)
		}
	})
	t.Run("helpers", func(t *testing.T) {
		if e, ok := img.BrokerEndpoint(1, "PLAINTEXT"); !ok || e.Host != "h" {
			t.Errorf("BrokerEndpoint: got %+v %v", e, ok)
		}
		if _, ok := img.BrokerEndpoint(1, "SSL"); ok {
			t.Error("BrokerEndpoint found a missing listener")
		}
		if img.Partition("orders", 2) != nil || img.Partition("nope", 0) != nil || img.Partition("orders", -1) != nil {
			t.Error("Partition found a missing partition")
		}
		if got := img.LiveBrokers(); len(got) != 1 || got[0].ID != 1 {
			t.Errorf("LiveBrokers: got %v", got)
		}
	})
}

func TestImageSnapshotRoundTrip(t *testing.T) {
	img := fuzzBaseImage(t)
	b, err := EncodeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeImage(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := EncodeImage(back)
	if string(again) != string(b) {
		t.Errorf("round trip differs:\n got %s\nwant %s", again, b)
	}
	if back.TopicByID(testTopicID) != back.Topics["orders"] || back.Partition("orders", 1).Topic != "orders" {
		t.Error("indexes not rebuilt")
	}
	if got := back.Brokers[2]; got.Rack != "r" || !got.Fenced {
		t.Errorf("broker 2: got %+v", got)
	}

	for _, bad := range []struct{ name, in string }{
		{"duplicate topic", `{"index":1,"clusterId":"","brokers":null,"topics":[{"name":"a","id":"AQIDBAUGRwiJCgsMDQ4PEA","partitions":[]},{"name":"a","id":"AQIDBAUGRwiJCgsMDQ4PEB","partitions":[]}],"configs":null,"clientQuotas":null,"nextProducerId":0,"features":null}`},
		{"partition gap", `{"index":1,"clusterId":"","brokers":null,"topics":[{"name":"a","id":"AQIDBAUGRwiJCgsMDQ4PEA","partitions":[{"id":1,"replicas":[1],"isr":[1],"leader":1,"leaderEpoch":0,"partitionEpoch":0}]}],"configs":null,"clientQuotas":null,"nextProducerId":0,"features":null}`},
		{"configs of missing topic", `{"index":1,"clusterId":"","brokers":null,"topics":null,"configs":[{"resource":{"type":2,"name":"a"},"configs":{"x":"y"}}],"clientQuotas":null,"nextProducerId":0,"features":null}`},
	} {
		if _, err := DecodeImage(append([]byte{snapshotFormat}, bad.in...)); err == nil {
			t.Errorf("%s: got nil error", bad.name)
		}
	}
}
