package server_test

import (
	"errors"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// newSaramaAdmin returns a sarama ClusterAdmin for addr, speaking Kafka 3.9's
// versions, closed with the test.
func newSaramaAdmin(t *testing.T, addrs ...string) sarama.ClusterAdmin {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_9_0_0
	cfg.ClientID = t.Name()
	admin, err := sarama.NewClusterAdmin(addrs, cfg)
	if err != nil {
		t.Fatalf("cluster admin: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

// TestElectLeadersSingleBroker drives ElectLeaders through sarama's
// ClusterAdmin and raw requests of every version against one broker,
// where every partition is led by its only, preferred, replica.
func TestElectLeadersSingleBroker(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	admin := newSaramaAdmin(t, b.Addr)
	if err := admin.CreateTopic("t", &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}

	results, err := admin.ElectLeaders(sarama.PreferredElection, map[string][]int32{"t": {0, 1, 5}, "nope": {0}})
	if err != nil {
		t.Fatalf("ElectLeaders: %v", err)
	}
	wantCodes := map[string]map[int32]sarama.KError{
		"t":    {0: sarama.ErrElectionNotNeeded, 1: sarama.ErrElectionNotNeeded, 5: sarama.ErrUnknownTopicOrPartition},
		"nope": {0: sarama.ErrUnknownTopicOrPartition},
	}
	for topic, parts := range wantCodes {
		for p, want := range parts {
			r := results[topic][p]
			if r == nil {
				t.Errorf("%s-%d: no result", topic, p)
				continue
			}
			if r.ErrorCode != want {
				t.Errorf("%s-%d: got %v, want %v", topic, p, r.ErrorCode, want)
			}
		}
	}
	if msg := results["t"][5].ErrorMessage; msg == nil || *msg != "No such partition as t-5" {
		t.Errorf("t-5 message: got %v, want %q", msg, "No such partition as t-5")
	}

	results, err = admin.ElectLeaders(sarama.UncleanElection, map[string][]int32{"t": {1}})
	if err != nil || results["t"][1] == nil || results["t"][1].ErrorCode != sarama.ErrElectionNotNeeded {
		t.Errorf("unclean election of a led partition: got %+v, %v, want ELECTION_NOT_NEEDED", results, err)
	}
	// A null topic list elects everywhere and leaves out partitions that
	// need no election: here, all of them.
	results, err = admin.ElectLeaders(sarama.PreferredElection, nil)
	if err != nil {
		t.Fatal(err)
	}
	for topic, parts := range results {
		if len(parts) > 0 {
			t.Errorf("all-partition election: got results for %s: %+v", topic, parts)
		}
	}

	tests := []struct {
		name      string
		version   int16
		typ       int8
		topLevel  *kerr.Error
		partition *kerr.Error
	}{
		{"v0 preferred", 0, 0, nil, kerr.ElectionNotNeeded},
		{"v1 unclean", 1, 1, nil, kerr.ElectionNotNeeded},
		{"v2 unknown type", 2, 7, kerr.InvalidRequest, kerr.InvalidRequest},
		{"v1 unknown type", 1, -1, kerr.InvalidRequest, kerr.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := kmsg.NewPtrElectLeadersRequest()
			req.Version, req.ElectionType = tt.version, tt.typ
			rt := kmsg.NewElectLeadersRequestTopic()
			rt.Topic, rt.Partitions = "t", []int32{0}
			req.Topics = append(req.Topics, rt)
			resp := roundTrip(t, b.Addr, req).(*kmsg.ElectLeadersResponse)
			if got := kerr.ErrorForCode(resp.ErrorCode); !errors.Is(got, kerrOrNil(tt.topLevel)) {
				t.Errorf("top-level error: got %v, want %v", got, tt.topLevel)
			}
			if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
				t.Fatalf("got topics %+v, want one partition", resp.Topics)
			}
			p := resp.Topics[0].Partitions[0]
			if got := kerr.ErrorForCode(p.ErrorCode); got != kerrOrNil(tt.partition) || p.ErrorMessage == nil {
				t.Errorf("partition error: got %v %v, want %v with a message", got, p.ErrorMessage, tt.partition)
			}
		})
	}
}

// kerrOrNil turns a nil *kerr.Error into a nil error, as kerr.ErrorForCode(0)
// returns.
func kerrOrNil(e *kerr.Error) error {
	if e == nil {
		return nil
	}
	return e
}
