package metadata

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// rejectBadConfigs stands in for internal/config's validation: it rejects
// any config named "bad.config".
func rejectBadConfigs(res ConfigResource, configs map[string]string) error {
	if v, ok := configs["bad.config"]; ok {
		return fmt.Errorf("Invalid value %s for configuration bad.config: not allowed", v)
	}
	return nil
}

func testControllerConfig() ControllerConfig {
	return ControllerConfig{
		DefaultNumPartitions:     2,
		DefaultReplicationFactor: 1,
		ValidateConfigs:          rejectBadConfigs,
		ListConfig: func(_ ConfigResourceType, name string) (bool, string) {
			if name == "cleanup.policy" {
				return true, "delete"
			}
			return false, ""
		},
		Rand: firstRand{},
	}
}

func wantErr(t *testing.T, what string, err error, code *kerr.Error, msg string) {
	t.Helper()
	if code == nil {
		if err != nil {
			t.Errorf("%s: got error %v, want success", what, err)
		}
		return
	}
	got, gotMsg := KafkaError(err)
	if got != code || (msg != "" && gotMsg != msg) {
		t.Errorf("%s: got %v %q, want %s %q", what, got, gotMsg, code.Message, msg)
	}
}

func TestCreateTopicsValidation(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	registerBrokers(t, c, "")
	createTopic(t, c, "a_b", 1, 1)
	createTopic(t, c, "exists", 1, 1)
	long := strings.Repeat("x", 250)
	tests := []struct {
		name string
		spec TopicSpec
		code *kerr.Error
		msg  string
	}{
		{"empty name", TopicSpec{Name: "", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: the empty string is not allowed"},
		{"dot", TopicSpec{Name: ".", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: '.' is not allowed"},
		{"dot dot", TopicSpec{Name: "..", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: '..' is not allowed"},
		{"path traversal", TopicSpec{Name: "../x", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: '../x' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{"slash", TopicSpec{Name: "a/b", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: 'a/b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{"250 chars", TopicSpec{Name: long, NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: the length of '" + long + "' is longer than the max allowed length 249"},
		{"unicode", TopicSpec{Name: "tópico", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: 'tópico' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{"nul byte", TopicSpec{Name: "a\x00b", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: 'a\x00b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{"space", TopicSpec{Name: "with space", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic name is invalid: 'with space' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{"collision", TopicSpec{Name: "a.b", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidTopicException, "Topic 'a.b' collides with existing topic: a_b"},
		{"exists", TopicSpec{Name: "exists", NumPartitions: 1, ReplicationFactor: 1}, kerr.TopicAlreadyExists, "Topic 'exists' already exists."},
		{"metadata topic", TopicSpec{Name: "__cluster_metadata", NumPartitions: 1, ReplicationFactor: 1}, kerr.InvalidRequest, "Creation of internal topic __cluster_metadata is prohibited."},
		{"zero partitions", TopicSpec{Name: "p0", NumPartitions: 0, ReplicationFactor: 1}, kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value."},
		{"negative partitions", TopicSpec{Name: "pn", NumPartitions: -2, ReplicationFactor: 1}, kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value."},
		{"zero replication", TopicSpec{Name: "r0", NumPartitions: 1, ReplicationFactor: 0}, kerr.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value."},
		{"too many replicas", TopicSpec{Name: "r3", NumPartitions: 1, ReplicationFactor: 3}, kerr.InvalidReplicationFactor, "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered."},
		{"bad config", TopicSpec{Name: "cfg", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"bad.config": "1"}}, kerr.InvalidConfig, "Invalid value 1 for configuration bad.config: not allowed"},
		{"assignment with replication factor", TopicSpec{Name: "m1", NumPartitions: -1, ReplicationFactor: 1, Assignment: map[int32][]int32{0: {1}}}, kerr.InvalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1."},
		{"assignment with partitions", TopicSpec{Name: "m2", NumPartitions: 1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1}}}, kerr.InvalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1."},
		{"assignment unknown broker", TopicSpec{Name: "m3", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {9}}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes broker 9, but no such broker is registered."},
		{"assignment repeats broker", TopicSpec{Name: "m4", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1, 1}}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes the broker 1 more than once."},
		{"assignment gap", TopicSpec{Name: "m5", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1}, 2: {1}}}, kerr.InvalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence"},
		{"assignment empty", TopicSpec{Name: "m6", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {}}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list."},
		{"defaults", TopicSpec{Name: "ok-defaults", NumPartitions: -1, ReplicationFactor: -1}, nil, ""},
		{"internal topic name", TopicSpec{Name: "__consumer_offsets", NumPartitions: 1, ReplicationFactor: 1}, nil, ""},
	}
	specs := make([]TopicSpec, len(tests))
	for i, tt := range tests {
		specs[i] = tt.spec
	}
	before := len(n.Image().Topics)
	results := c.CreateTopics(testContext(t), specs, false)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := results[i]
			if r.Name != tt.spec.Name {
				t.Errorf("result name: got %q, want %q", r.Name, tt.spec.Name)
			}
			wantErr(t, "CreateTopics", r.Err, tt.code, tt.msg)
			if tt.code != nil && !r.ID.IsZero() {
				t.Errorf("failed topic has id %v", r.ID)
			}
		})
	}
	img := n.Image()
	if got := len(img.Topics); got != before+2 {
		t.Errorf("topics after request: got %d, want %d", got, before+2)
	}
	if d := img.Topics["ok-defaults"]; d == nil || len(d.Partitions) != 2 || len(d.Partitions[0].Replicas) != 1 {
		t.Errorf("defaults: got %+v, want 2 partitions with 1 replica", d)
	}
	if co := img.Topics["__consumer_offsets"]; co == nil || !co.Internal {
		t.Errorf("__consumer_offsets: got %+v, want an internal topic", co)
	}
	for _, tt := range tests {
		if tt.code != nil && img.Topics[tt.spec.Name] != nil && tt.spec.Name != "exists" && tt.spec.Name != "a_b" {
			t.Errorf("rejected topic %q exists", tt.spec.Name)
		}
	}

	t.Run("duplicate names in one request", func(t *testing.T) {
		res := c.CreateTopics(testContext(t), []TopicSpec{{Name: "dup", NumPartitions: 1, ReplicationFactor: 1}, {Name: "dup", NumPartitions: 1, ReplicationFactor: 1}}, false)
		for _, r := range res {
			wantErr(t, "duplicate", r.Err, kerr.InvalidRequest, "Duplicate topic name.")
		}
	})
	t.Run("collision within one request", func(t *testing.T) {
		res := c.CreateTopics(testContext(t), []TopicSpec{{Name: "x.y", NumPartitions: 1, ReplicationFactor: 1}, {Name: "x_y", NumPartitions: 1, ReplicationFactor: 1}}, false)
		wantErr(t, "first", res[0].Err, nil, "")
		wantErr(t, "second", res[1].Err, kerr.InvalidTopicException, "Topic 'x_y' collides with existing topic: x.y")
	})
	t.Run("excessively large batch", func(t *testing.T) {
		res := c.CreateTopics(testContext(t), []TopicSpec{{Name: "small", NumPartitions: 1, ReplicationFactor: 1}, {Name: "huge", NumPartitions: 20000, ReplicationFactor: 1}}, false)
		for _, r := range res {
			wantErr(t, r.Name, r.Err, kerr.PolicyViolation, "Unable to perform excessively large batch operation.")
		}
		if n.Image().Topics["small"] != nil {
			t.Error("part of a failed request was created")
		}
	})
	t.Run("validate only", func(t *testing.T) {
		res := c.CreateTopics(testContext(t), []TopicSpec{{Name: "dry", NumPartitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "1"}}}, true)
		if res[0].Err != nil || res[0].NumPartitions != 3 || res[0].ReplicationFactor != 1 || !res[0].ID.IsZero() {
			t.Errorf("got %+v, want success with 3 partitions and no id", res[0])
		}
		if n.Image().Topics["dry"] != nil {
			t.Error("validate-only request created the topic")
		}
	})
}

func TestCreateTopicsAssignsAndRecords(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	registerBrokers(t, c, "", "", "")
	res := c.CreateTopics(testContext(t), []TopicSpec{
		{Name: "striped", NumPartitions: 4, ReplicationFactor: 3, Configs: map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}},
		{Name: "manual", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{1: {3, 1}, 0: {2, 3}}},
	}, false)
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Name, r.Err)
		}
	}
	if r := res[0]; r.NumPartitions != 4 || r.ReplicationFactor != 3 || r.Configs["retention.ms"] != "1000" || r.ID.IsZero() {
		t.Errorf("striped result: got %+v", r)
	}
	if r := res[1]; r.NumPartitions != 2 || r.ReplicationFactor != 2 {
		t.Errorf("manual result: got %+v", r)
	}
	img := n.Image()
	// firstRand makes the placer stripe from broker 1 (see
	// TestPlaceReplicasStriping).
	want := [][]int32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}, {1, 2, 3}}
	for i, p := range img.Topics["striped"].Partitions {
		if !slices.Equal(p.Replicas, want[i]) || !slices.Equal(p.ISR, want[i]) || p.Leader != want[i][0] || p.LeaderEpoch != 0 || p.PartitionEpoch != 0 {
			t.Errorf("striped-%d: got %+v, want replicas = isr = %v, leader %d, epochs 0", i, p, want[i], want[i][0])
		}
	}
	manual := img.Topics["manual"].Partitions
	if !slices.Equal(manual[0].Replicas, []int32{2, 3}) || manual[0].Leader != 2 || !slices.Equal(manual[1].Replicas, []int32{3, 1}) || manual[1].Leader != 3 {
		t.Errorf("manual: got %+v %+v", manual[0], manual[1])
	}
	if got := img.TopicConfigs("striped"); got["retention.ms"] != "1000" || got["cleanup.policy"] != "compact" {
		t.Errorf("configs: got %v", got)
	}
	if img.TopicByID(res[0].ID) != img.Topics["striped"] {
		t.Error("TopicsByID does not index the new topic")
	}

	t.Run("leader skips a fenced replica", func(t *testing.T) {
		if err := c.FenceBroker(testContext(t), 1, -1); err != nil {
			t.Fatal(err)
		}
		r := c.CreateTopics(testContext(t), []TopicSpec{{Name: "with-fenced", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1, 2}}}}, false)
		if r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		p := n.Image().Partition("with-fenced", 0)
		if p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) || !slices.Equal(p.Replicas, []int32{1, 2}) {
			t.Errorf("got %+v, want replicas [1 2], isr [2], leader 2", p)
		}
		r = c.CreateTopics(testContext(t), []TopicSpec{{Name: "all-fenced", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1}}}}, false)
		wantErr(t, "all fenced", r[0].Err, kerr.InvalidReplicaAssignment, "All brokers specified in the manual partition assignment for partition 0 are fenced or in controlled shutdown.")
		r = c.CreateTopics(testContext(t), []TopicSpec{{Name: "inconsistent", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {2}, 1: {2, 3}}}}, false)
		wantErr(t, "inconsistent", r[0].Err, kerr.InvalidReplicaAssignment, "The manual partition assignment includes a partition with 2 replica(s), but this is not consistent with previous partitions, which have 1 replica(s).")
	})
}

func TestDeleteTopics(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	registerBrokers(t, c, "")
	a := createTopic(t, c, "a", 1, 1)
	b := createTopic(t, c, "b", 1, 1)
	createTopic(t, c, "c", 1, 1)
	if err := c.IncrementalAlterConfigs(testContext(t), ConfigResource{Type: ConfigTopic, Name: "a"}, []ConfigOp{{Name: "retention.ms", Value: "5"}}, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  TopicRef
		code *kerr.Error
		msg  string
	}{
		{TopicRef{Name: "a"}, nil, ""},
		{TopicRef{ID: b.ID}, nil, ""},
		{TopicRef{Name: "missing"}, kerr.UnknownTopicOrPartition, kerr.UnknownTopicOrPartition.Description},
		{TopicRef{ID: UUID{4: 4}}, kerr.UnknownTopicID, kerr.UnknownTopicID.Description},
		{TopicRef{Name: "c", ID: UUID{4: 4}}, kerr.InvalidRequest, "You may not specify both topic name and topic id."},
		{TopicRef{}, kerr.InvalidRequest, "Neither topic name nor id were specified."},
		{TopicRef{Name: "twice"}, kerr.InvalidRequest, "Duplicate topic name."},
		{TopicRef{Name: "twice"}, kerr.InvalidRequest, "Duplicate topic name."},
	}
	refs := make([]TopicRef, len(tests))
	for i, tt := range tests {
		refs[i] = tt.ref
	}
	res := c.DeleteTopics(testContext(t), refs)
	for i, tt := range tests {
		wantErr(t, fmt.Sprintf("ref %d %+v", i, tt.ref), res[i].Err, tt.code, tt.msg)
	}
	if res[1].Name != "b" || res[0].ID != a.ID {
		t.Errorf("results do not name the deleted topics: %+v %+v", res[0], res[1])
	}
	img := n.Image()
	if img.Topics["a"] != nil || img.Topics["b"] != nil || img.Topics["c"] == nil || img.TopicConfigs("a") != nil {
		t.Errorf("after delete: topics %v, configs of a %v", len(img.Topics), img.TopicConfigs("a"))
	}
	again := createTopic(t, c, "a", 1, 1)
	if again.ID == a.ID {
		t.Errorf("recreated topic reuses id %v", a.ID)
	}

	cid := n.Image().Topics["c"].ID
	res = c.DeleteTopics(testContext(t), []TopicRef{{Name: "c"}, {ID: cid}})
	for _, r := range res {
		wantErr(t, "name and id of one topic", r.Err, kerr.InvalidRequest, "The provided topic name maps to an ID that was already supplied.")
	}
}

func TestCreatePartitions(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	registerBrokers(t, c, "", "", "")
	createTopic(t, c, "t", 2, 2)
	tests := []struct {
		name       string
		topic      string
		count      int32
		assignment [][]int32
		code       *kerr.Error
		msg        string
	}{
		{"unknown topic", "nope", 3, nil, kerr.UnknownTopicOrPartition, kerr.UnknownTopicOrPartition.Description},
		{"same count", "t", 2, nil, kerr.InvalidPartitions, "Topic already has 2 partition(s)."},
		{"decrease", "t", 1, nil, kerr.InvalidPartitions, "The topic t currently has 2 partition(s); 1 would not be an increase."},
		{"assignment count", "t", 4, [][]int32{{1, 2}}, kerr.InvalidReplicaAssignment, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."},
		{"assignment replica count", "t", 3, [][]int32{{1}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s)."},
		{"assignment unknown broker", "t", 3, [][]int32{{1, 7}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes broker 7, but no such broker is registered."},
		{"manual", "t", 3, [][]int32{{3, 1}}, nil, ""},
		{"placed", "t", 5, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CreatePartitions(testContext(t), tt.topic, tt.count, tt.assignment, false)
			wantErr(t, "CreatePartitions", err, tt.code, tt.msg)
		})
	}
	parts := n.Image().Topics["t"].Partitions
	if len(parts) != 5 {
		t.Fatalf("partitions: got %d, want 5", len(parts))
	}
	if !slices.Equal(parts[2].Replicas, []int32{3, 1}) || parts[2].Leader != 3 {
		t.Errorf("manual partition: got %+v", parts[2])
	}
	for i, p := range parts {
		if p.ID != int32(i) || len(p.Replicas) != 2 || p.Leader != p.Replicas[0] {
			t.Errorf("partition %d: got %+v", i, p)
		}
	}
	if err := c.CreatePartitions(testContext(t), "t", 9, nil, true); err != nil || len(n.Image().Topics["t"].Partitions) != 5 {
		t.Errorf("validate only: got %v, %d partitions", err, len(n.Image().Topics["t"].Partitions))
	}
}
