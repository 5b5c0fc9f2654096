package metadata

import (
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// partState is the part of a partition the leadership tests compare.
type partState struct {
	leader       int32
	isr          []int32
	leaderEpoch  int32
	partEpoch    int32
	replicasWant []int32
}

func checkPartitions(t *testing.T, img *Image, topic string, want []partState) {
	t.Helper()
	tp := img.Topics[topic]
	if tp == nil {
		t.Fatalf("topic %s missing", topic)
	}
	for i, w := range want {
		p := tp.Partitions[i]
		if p.Leader != w.leader || !slices.Equal(p.ISR, w.isr) || p.LeaderEpoch != w.leaderEpoch || p.PartitionEpoch != w.partEpoch {
			t.Errorf("%s-%d: got leader %d isr %v epochs %d/%d, want leader %d isr %v epochs %d/%d",
				topic, i, p.Leader, p.ISR, p.LeaderEpoch, p.PartitionEpoch, w.leader, w.isr, w.leaderEpoch, w.partEpoch)
		}
	}
}

func TestBrokerRegistration(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	ctx := testContext(t)
	reg := BrokerRegistration{ID: 1, IncarnationID: UUID{1: 1}, ClusterID: testClusterID, Rack: "r1",
		Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 9092}, {Name: "SSL", Host: "127.0.0.1", Port: 9093, SecurityProtocol: 1}}}
	e1, err := c.RegisterBroker(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	b := n.Image().Brokers[1]
	if b == nil || !b.Fenced || b.Epoch != e1 || b.Rack != "r1" || len(b.Listeners) != 2 {
		t.Fatalf("registered broker: got %+v, want fenced with epoch %d", b, e1)
	}
	if e, ok := n.Image().BrokerEndpoint(1, "SSL"); !ok || e.Port != 9093 {
		t.Errorf("SSL endpoint: got %+v, %v", e, ok)
	}

	// A new incarnation may replace a fenced registration; the epoch grows.
	reg.IncarnationID = UUID{1: 2}
	e2, err := c.RegisterBroker(ctx, reg)
	if err != nil || e2 <= e1 {
		t.Fatalf("re-register: got epoch %d, %v, want > %d", e2, err, e1)
	}
	wantErr(t, "unfence with old epoch", c.UnfenceBroker(ctx, 1, e1), kerr.StaleBrokerEpoch, fmt.Sprintf("Expected broker epoch %d, but got broker epoch %d", e2, e1))
	wantErr(t, "unfence", c.UnfenceBroker(ctx, 1, e2), nil, "")
	wantErr(t, "unfence again", c.UnfenceBroker(ctx, 1, e2), nil, "")

	other := reg
	other.IncarnationID = UUID{1: 3}
	_, err = c.RegisterBroker(ctx, other)
	wantErr(t, "other incarnation while live", err, kerr.DuplicateBrokerRegistration, "Another broker is registered with that broker id.")
	other.ClusterID = "other"
	_, err = c.RegisterBroker(ctx, other)
	wantErr(t, "other cluster", err, kerr.InconsistentClusterID, "Expected cluster ID "+testClusterID+", but got cluster ID other")
	_, err = c.RegisterBroker(ctx, BrokerRegistration{ID: -3})
	wantErr(t, "negative id", err, kerr.InvalidRegistration, "")

	// The same incarnation re-registering while live (a restart faster
	// than its session timeout) first loses its leaderships.
	e3, err := c.RegisterBroker(ctx, BrokerRegistration{ID: 2, IncarnationID: UUID{2: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UnfenceBroker(ctx, 2, e3); err != nil {
		t.Fatal(err)
	}
	res := c.CreateTopics(ctx, []TopicSpec{{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1, 2}}}}, false)
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if _, err := c.RegisterBroker(ctx, reg); err != nil {
		t.Fatal(err)
	}
	checkPartitions(t, n.Image(), "t", []partState{{leader: 2, isr: []int32{2}, leaderEpoch: 1, partEpoch: 1}})
	if !n.Image().Brokers[1].Fenced {
		t.Error("re-registered broker is not fenced")
	}

	wantErr(t, "unregister unknown", c.UnregisterBroker(ctx, 9), kerr.BrokerIDNotRegistered, "Broker ID 9 is not currently registered")
	wantErr(t, "unregister 2", c.UnregisterBroker(ctx, 2), nil, "")
	if n.Image().Brokers[2] != nil {
		t.Error("broker 2 still registered")
	}
	// The last ISR member stays in the ISR, without leadership.
	checkPartitions(t, n.Image(), "t", []partState{{leader: NoLeader, isr: []int32{2}, leaderEpoch: 2, partEpoch: 2}})
	wantErr(t, "fence unknown", c.FenceBroker(ctx, 9, -1), kerr.BrokerIDNotRegistered, "")
}

func TestFencingMovesLeadership(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "", "", "")
	createTopic(t, c, "t", 3, 3) // replicas [1 2 3], [2 3 1], [3 1 2]

	steps := []struct {
		name string
		do   func() error
		want []partState
	}{
		{"fence 1", func() error { return c.FenceBroker(ctx, 1, -1) }, []partState{
			{leader: 2, isr: []int32{2, 3}, leaderEpoch: 1, partEpoch: 1},
			{leader: 2, isr: []int32{2, 3}, leaderEpoch: 0, partEpoch: 1},
			{leader: 3, isr: []int32{3, 2}, leaderEpoch: 0, partEpoch: 1},
		}},
		{"fence 2", func() error { return c.FenceBroker(ctx, 2, -1) }, []partState{
			{leader: 3, isr: []int32{3}, leaderEpoch: 2, partEpoch: 2},
			{leader: 3, isr: []int32{3}, leaderEpoch: 1, partEpoch: 2},
			{leader: 3, isr: []int32{3}, leaderEpoch: 0, partEpoch: 2},
		}},
		{"fence 3: offline, last ISR member kept", func() error { return c.FenceBroker(ctx, 3, -1) }, []partState{
			{leader: NoLeader, isr: []int32{3}, leaderEpoch: 3, partEpoch: 3},
			{leader: NoLeader, isr: []int32{3}, leaderEpoch: 2, partEpoch: 3},
			{leader: NoLeader, isr: []int32{3}, leaderEpoch: 1, partEpoch: 3},
		}},
		{"unfence 1: not in the ISR, no clean leader", func() error { return c.UnfenceBroker(ctx, 1, -1) }, []partState{
			{leader: NoLeader, isr: []int32{3}, leaderEpoch: 3, partEpoch: 3},
			{leader: NoLeader, isr: []int32{3}, leaderEpoch: 2, partEpoch: 3},
			{leader: NoLeader, isr: []int32{3}, leaderEpoch: 1, partEpoch: 3},
		}},
		{"unfence 3: leads again", func() error { return c.UnfenceBroker(ctx, 3, -1) }, []partState{
			{leader: 3, isr: []int32{3}, leaderEpoch: 4, partEpoch: 4},
			{leader: 3, isr: []int32{3}, leaderEpoch: 3, partEpoch: 4},
			{leader: 3, isr: []int32{3}, leaderEpoch: 2, partEpoch: 4},
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		t.Run(s.name, func(t *testing.T) { checkPartitions(t, n.Image(), "t", s.want) })
	}
}

func TestUncleanElectionOnFence(t *testing.T) {
	t.Parallel()
	cfg := testControllerConfig()
	cfg.UncleanLeaderElection = func(_ *Image, topic string) bool { return topic == "unclean" }
	n := openSingle(t, t.TempDir(), cfg)
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "", "")
	epoch1 := n.Image().Brokers[1].Epoch
	for _, name := range []string{"clean", "unclean"} {
		res := c.CreateTopics(ctx, []TopicSpec{{Name: name, NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1, 2}}}}, false)
		if res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
		// Broker 2 falls behind: the leader shrinks the ISR to itself.
		out, err := c.AlterPartition(ctx, 1, epoch1, []ISRChange{{Topic: name, Partition: 0, NewISR: []int32{1}}})
		if err != nil || out[0].Err != nil {
			t.Fatalf("shrink %s: %v %v", name, err, out)
		}
	}
	if err := c.FenceBroker(ctx, 1, -1); err != nil {
		t.Fatal(err)
	}
	img := n.Image()
	checkPartitions(t, img, "clean", []partState{{leader: NoLeader, isr: []int32{1}, leaderEpoch: 1, partEpoch: 2}})
	checkPartitions(t, img, "unclean", []partState{{leader: 2, isr: []int32{2}, leaderEpoch: 1, partEpoch: 2}})
}

func TestAlterPartition(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "", "", "")
	tr := createTopic(t, c, "t", 1, 3) // replicas [1 2 3], leader 1
	e1 := n.Image().Brokers[1].Epoch

	tests := []struct {
		name   string
		broker int32
		change ISRChange
		code   *kerr.Error
	}{
		{"unknown topic name", 1, ISRChange{Topic: "nope", NewISR: []int32{1}}, kerr.UnknownTopicOrPartition},
		{"unknown topic id", 1, ISRChange{TopicID: UUID{3: 3}, NewISR: []int32{1}}, kerr.UnknownTopicID},
		{"unknown partition", 1, ISRChange{Topic: "t", Partition: 5, NewISR: []int32{1}}, kerr.UnknownTopicOrPartition},
		{"newer leader epoch", 1, ISRChange{Topic: "t", LeaderEpoch: 1, NewISR: []int32{1}}, kerr.NotController},
		{"newer partition epoch", 1, ISRChange{Topic: "t", PartitionEpoch: 1, NewISR: []int32{1}}, kerr.NotController},
		{"not the leader", 2, ISRChange{Topic: "t", NewISR: []int32{2}}, kerr.InvalidRequest},
		{"not a replica", 1, ISRChange{Topic: "t", NewISR: []int32{1, 4}}, kerr.InvalidRequest},
		{"without the leader", 1, ISRChange{Topic: "t", NewISR: []int32{2, 3}}, kerr.InvalidRequest},
		{"duplicate member", 1, ISRChange{Topic: "t", NewISR: []int32{1, 1}}, kerr.InvalidRequest},
		{"shrink by id", 1, ISRChange{TopicID: tr.ID, NewISR: []int32{1, 2}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			epoch := int64(-1)
			out, err := c.AlterPartition(ctx, tt.broker, epoch, []ISRChange{tt.change})
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, "AlterPartition", out[0].Err, tt.code, "")
		})
	}
	checkPartitions(t, n.Image(), "t", []partState{{leader: 1, isr: []int32{1, 2}, leaderEpoch: 0, partEpoch: 1}})

	t.Run("stale partition epoch", func(t *testing.T) {
		out, _ := c.AlterPartition(ctx, 1, e1, []ISRChange{{Topic: "t", NewISR: []int32{1}}})
		wantErr(t, "stale", out[0].Err, kerr.InvalidUpdateVersion, "")
	})
	t.Run("two changes of one partition in one request", func(t *testing.T) {
		out, err := c.AlterPartition(ctx, 1, e1, []ISRChange{
			{Topic: "t", PartitionEpoch: 1, NewISR: []int32{1}},
			{Topic: "t", PartitionEpoch: 1, NewISR: []int32{1, 2}},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, "first", out[0].Err, nil, "")
		wantErr(t, "second", out[1].Err, kerr.InvalidUpdateVersion, "")
		if r := out[0]; r.Leader != 1 || !slices.Equal(r.ISR, []int32{1}) || r.PartitionEpoch != 2 || r.LeaderEpoch != 0 {
			t.Errorf("result: got %+v, want leader 1 isr [1] epochs 0/2", r)
		}
	})
	t.Run("fenced broker is ineligible", func(t *testing.T) {
		if err := c.FenceBroker(ctx, 3, -1); err != nil {
			t.Fatal(err)
		}
		out, _ := c.AlterPartition(ctx, 1, e1, []ISRChange{{Topic: "t", PartitionEpoch: 2, NewISR: []int32{1, 3}}})
		wantErr(t, "fenced", out[0].Err, kerr.IneligibleReplica, "")
		if err := c.UnfenceBroker(ctx, 3, -1); err != nil {
			t.Fatal(err)
		}
		out, _ = c.AlterPartition(ctx, 1, e1, []ISRChange{{Topic: "t", PartitionEpoch: 2, NewISR: []int32{1, 2, 3}}})
		wantErr(t, "unfenced", out[0].Err, nil, "")
	})
	t.Run("old leader after an election", func(t *testing.T) {
		if err := c.FenceBroker(ctx, 1, -1); err != nil {
			t.Fatal(err)
		}
		out, _ := c.AlterPartition(ctx, 1, e1, []ISRChange{{Topic: "t", PartitionEpoch: 3, NewISR: []int32{1, 2, 3}}})
		wantErr(t, "old leader", out[0].Err, kerr.FencedLeaderEpoch, "")
	})
	t.Run("stale broker epoch", func(t *testing.T) {
		_, err := c.AlterPartition(ctx, 2, 1, nil)
		wantErr(t, "broker epoch", err, kerr.StaleBrokerEpoch, "")
		_, err = c.AlterPartition(ctx, 9, -1, nil)
		wantErr(t, "unknown broker", err, kerr.StaleBrokerEpoch, "No broker registration found for broker id 9")
	})
}

func TestElectLeaders(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "", "", "")
	createTopic(t, c, "t", 3, 3) // [1 2 3], [2 3 1], [3 1 2]
	if err := c.FenceBroker(ctx, 1, -1); err != nil {
		t.Fatal(err)
	}
	if err := c.UnfenceBroker(ctx, 1, -1); err != nil {
		t.Fatal(err)
	}
	// Broker 1 is live again but not yet back in the ISR of t-0.
	out, err := c.ElectLeaders(ctx, PreferredElection, []TopicPartitions{{Topic: "t", Partitions: []int32{0, 1, 9}}, {Topic: "nope", Partitions: []int32{0}}})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "t-0 preferred not in ISR", out[0].Err, kerr.PreferredLeaderNotAvailable, "")
	wantErr(t, "t-1 already preferred", out[1].Err, kerr.ElectionNotNeeded, "")
	wantErr(t, "t-9", out[2].Err, kerr.UnknownTopicOrPartition, "No such partition as t-9")
	wantErr(t, "nope-0", out[3].Err, kerr.UnknownTopicOrPartition, "No such topic as nope")

	// Leader 2 of t-0 adds broker 1 back; now the preferred leader can lead.
	e2 := n.Image().Brokers[2].Epoch
	if res, err := c.AlterPartition(ctx, 2, e2, []ISRChange{{Topic: "t", Partition: 0, LeaderEpoch: 1, PartitionEpoch: 1, NewISR: []int32{2, 3, 1}}}); err != nil || res[0].Err != nil {
		t.Fatalf("expand ISR: %v %+v", err, res)
	}
	out, err = c.ElectLeaders(ctx, PreferredElection, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Only t-0 is led by a non-preferred replica; the others are left out.
	if len(out) != 1 || out[0].Err != nil || out[0].Topic != "t" || out[0].Partition != 0 {
		t.Fatalf("all-partition preferred election: got %+v, want one success for t-0", out)
	}
	checkPartitions(t, n.Image(), "t", []partState{
		{leader: 1, isr: []int32{2, 3, 1}, leaderEpoch: 2, partEpoch: 3},
		{leader: 2, isr: []int32{2, 3}, leaderEpoch: 0, partEpoch: 1},
		{leader: 3, isr: []int32{3, 2}, leaderEpoch: 0, partEpoch: 1},
	})
	if out, _ := c.ElectLeaders(ctx, PreferredElection, nil); len(out) != 0 {
		t.Errorf("balanced cluster: got %+v, want no results", out)
	}

	t.Run("unclean", func(t *testing.T) {
		res := c.CreateTopics(ctx, []TopicSpec{{Name: "u", NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{0: {1, 2}}}}, false)
		if res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
		e1 := n.Image().Brokers[1].Epoch
		if r, err := c.AlterPartition(ctx, 1, e1, []ISRChange{{Topic: "u", NewISR: []int32{1}}}); err != nil || r[0].Err != nil {
			t.Fatalf("shrink: %v %+v", err, r)
		}
		out, _ := c.ElectLeaders(ctx, UncleanElection, []TopicPartitions{{Topic: "u", Partitions: []int32{0}}})
		wantErr(t, "has a leader", out[0].Err, kerr.ElectionNotNeeded, "")
		if err := c.FenceBroker(ctx, 1, -1); err != nil {
			t.Fatal(err)
		}
		checkPartitions(t, n.Image(), "u", []partState{{leader: NoLeader, isr: []int32{1}, leaderEpoch: 1, partEpoch: 2}})
		out, _ = c.ElectLeaders(ctx, UncleanElection, []TopicPartitions{{Topic: "u", Partitions: []int32{0}}})
		wantErr(t, "unclean", out[0].Err, nil, "")
		checkPartitions(t, n.Image(), "u", []partState{{leader: 2, isr: []int32{2}, leaderEpoch: 2, partEpoch: 3}})
		if err := c.FenceBroker(ctx, 2, -1); err != nil {
			t.Fatal(err)
		}
		out, _ = c.ElectLeaders(ctx, UncleanElection, []TopicPartitions{{Topic: "u", Partitions: []int32{0}}})
		wantErr(t, "no live replica", out[0].Err, kerr.EligibleLeadersNotAvailable, "")
	})
	_, err = c.ElectLeaders(ctx, ElectionType(5), nil)
	wantErr(t, "bad type", err, kerr.InvalidRequest, "Unknown election type 5")
}

func TestConfigs(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "")
	createTopic(t, c, "t", 1, 1)
	topic := ConfigResource{Type: ConfigTopic, Name: "t"}
	tests := []struct {
		name string
		res  ConfigResource
		ops  []ConfigOp
		code *kerr.Error
		msg  string
		want map[string]string // configs of res afterwards, when no error
	}{
		{"set", topic, []ConfigOp{{Name: "retention.ms", Value: "1"}, {Name: "cleanup.policy", Value: "compact"}}, nil, "", map[string]string{"retention.ms": "1", "cleanup.policy": "compact"}},
		{"append", topic, []ConfigOp{{Name: "cleanup.policy", Op: ConfigAppend, Value: "delete,compact"}}, nil, "", map[string]string{"retention.ms": "1", "cleanup.policy": "compact,delete"}},
		{"subtract", topic, []ConfigOp{{Name: "cleanup.policy", Op: ConfigSubtract, Value: "compact"}}, nil, "", map[string]string{"retention.ms": "1", "cleanup.policy": "delete"}},
		{"delete", topic, []ConfigOp{{Name: "retention.ms", Op: ConfigDelete}, {Name: "cleanup.policy", Op: ConfigDelete}}, nil, "", nil},
		{"append to default", topic, []ConfigOp{{Name: "cleanup.policy", Op: ConfigAppend, Value: "compact"}}, nil, "", map[string]string{"cleanup.policy": "delete,compact"}},
		{"append to non-list", topic, []ConfigOp{{Name: "retention.ms", Op: ConfigAppend, Value: "1"}}, kerr.InvalidConfig, "Can't APPEND to key retention.ms because its type is not LIST.", nil},
		{"duplicate keys", topic, []ConfigOp{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}}, kerr.InvalidRequest, "Error due to duplicate config keys", nil},
		{"invalid value", topic, []ConfigOp{{Name: "bad.config", Value: "x"}}, kerr.InvalidConfig, "Invalid value x for configuration bad.config: not allowed", nil},
		{"unknown op", topic, []ConfigOp{{Name: "a", Op: 9}}, kerr.InvalidRequest, "Unknown operations type 9", nil},
		{"unknown topic", ConfigResource{Type: ConfigTopic, Name: "nope"}, []ConfigOp{{Name: "a", Value: "1"}}, kerr.UnknownTopicOrPartition, "The topic 'nope' does not exist.", nil},
		{"bad broker name", ConfigResource{Type: ConfigBroker, Name: "x"}, []ConfigOp{{Name: "a", Value: "1"}}, kerr.InvalidRequest, "Invalid broker name x", nil},
		{"unknown broker", ConfigResource{Type: ConfigBroker, Name: "9"}, []ConfigOp{{Name: "a", Value: "1"}}, kerr.BrokerIDNotRegistered, "No node with id 9 found.", nil},
		{"unknown resource type", ConfigResource{Type: 3, Name: "x"}, nil, kerr.InvalidRequest, "Unknown resource type 3", nil},
		{"broker", ConfigResource{Type: ConfigBroker, Name: "1"}, []ConfigOp{{Name: "log.cleaner.threads", Value: "2"}}, nil, "", map[string]string{"log.cleaner.threads": "2"}},
		{"cluster default", ConfigResource{Type: ConfigBroker}, []ConfigOp{{Name: "log.retention.ms", Value: "5"}}, nil, "", map[string]string{"log.retention.ms": "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := n.Image().Configs[tt.res]
			err := c.IncrementalAlterConfigs(ctx, tt.res, tt.ops, false)
			wantErr(t, "IncrementalAlterConfigs", err, tt.code, tt.msg)
			got := n.Image().Configs[tt.res]
			want := tt.want
			if tt.code != nil {
				want = before
			}
			if !mapsEqual(got, want) {
				t.Errorf("configs: got %v, want %v", got, want)
			}
		})
	}

	t.Run("unchanged values", func(t *testing.T) {
		idx := n.Image().Index
		if err := c.IncrementalAlterConfigs(ctx, topic, []ConfigOp{{Name: "cleanup.policy", Value: "delete,compact"}}, false); err != nil {
			t.Fatal(err)
		}
		if got := n.Image().Index; got != idx {
			t.Errorf("unchanged topic config wrote an entry: index %d -> %d", idx, got)
		}
		if err := c.IncrementalAlterConfigs(ctx, ConfigResource{Type: ConfigBroker, Name: "1"}, []ConfigOp{{Name: "log.cleaner.threads", Value: "2"}}, false); err != nil {
			t.Fatal(err)
		}
		if got := n.Image().Index; got == idx {
			t.Error("unchanged broker config wrote no entry; brokers need it to reload (KAFKA-14136)")
		}
	})
	t.Run("validate only", func(t *testing.T) {
		if err := c.IncrementalAlterConfigs(ctx, topic, []ConfigOp{{Name: "x", Value: "1"}}, true); err != nil {
			t.Fatal(err)
		}
		if _, ok := n.Image().TopicConfigs("t")["x"]; ok {
			t.Error("validate-only change applied")
		}
	})
	t.Run("legacy replaces all", func(t *testing.T) {
		if err := c.AlterConfigs(ctx, topic, map[string]string{"retention.ms": "7", "segment.ms": "8"}, false); err != nil {
			t.Fatal(err)
		}
		if got, want := n.Image().TopicConfigs("t"), map[string]string{"retention.ms": "7", "segment.ms": "8"}; !mapsEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if err := c.AlterConfigs(ctx, topic, map[string]string{"segment.ms": "9"}, false); err != nil {
			t.Fatal(err)
		}
		if got, want := n.Image().TopicConfigs("t"), map[string]string{"segment.ms": "9"}; !mapsEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		wantErr(t, "legacy invalid", c.AlterConfigs(ctx, topic, map[string]string{"bad.config": "1"}, false), kerr.InvalidConfig, "")
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestClientQuotas(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	ctx := testContext(t)
	alice := QuotaEntity{User: EntityName{Present: true, Name: "alice"}}
	defaultClient := QuotaEntity{ClientID: EntityName{Present: true, Default: true}}
	ip := QuotaEntity{IP: EntityName{Present: true, Name: "127.0.0.1"}}
	tests := []struct {
		name string
		alt  QuotaAlteration
		code *kerr.Error
		msg  string
	}{
		{"set", QuotaAlteration{Entity: alice, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1024}, {Key: "request_percentage", Value: 12.5}}}, nil, ""},
		{"default client", QuotaAlteration{Entity: defaultClient, Ops: []QuotaOp{{Key: "consumer_byte_rate", Value: 2048}}}, nil, ""},
		{"ip", QuotaAlteration{Entity: ip, Ops: []QuotaOp{{Key: "connection_creation_rate", Value: 10}}}, nil, ""},
		{"unknown key", QuotaAlteration{Entity: QuotaEntity{User: EntityName{Present: true, Name: "b"}}, Ops: []QuotaOp{{Key: "bogus", Value: 1}}}, kerr.InvalidRequest, "Invalid configuration key bogus"},
		{"zero", QuotaAlteration{Entity: QuotaEntity{User: EntityName{Present: true, Name: "c"}}, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 0}}}, kerr.InvalidRequest, "Quota producer_byte_rate must be greater than 0"},
		{"fraction", QuotaAlteration{Entity: QuotaEntity{User: EntityName{Present: true, Name: "d"}}, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1.5}}}, kerr.InvalidRequest, "producer_byte_rate cannot be a fractional value."},
		{"int too large", QuotaAlteration{Entity: QuotaEntity{IP: EntityName{Present: true, Default: true}}, Ops: []QuotaOp{{Key: "connection_creation_rate", Value: 1 << 31}}}, kerr.InvalidRequest, "Proposed value for connection_creation_rate is too large for an INT."},
		{"ip with user", QuotaAlteration{Entity: QuotaEntity{User: EntityName{Present: true, Name: "e"}, IP: EntityName{Present: true, Name: "::1"}}, Ops: []QuotaOp{{Key: "connection_creation_rate", Value: 1}}}, kerr.InvalidRequest, "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId"},
		{"bad ip", QuotaAlteration{Entity: QuotaEntity{IP: EntityName{Present: true, Name: "not-an-ip"}}, Ops: []QuotaOp{{Key: "connection_creation_rate", Value: 1}}}, kerr.InvalidRequest, "not-an-ip is not a valid IP or resolvable host."},
		{"empty entity", QuotaAlteration{Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1}}}, kerr.InvalidRequest, "Invalid empty client quota entity"},
		{"duplicate key", QuotaAlteration{Entity: QuotaEntity{User: EntityName{Present: true, Name: "f"}}, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1}, {Key: "producer_byte_rate", Value: 2}}}, kerr.InvalidRequest, ""},
		{"duplicate entity", QuotaAlteration{Entity: alice, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1}}}, kerr.InvalidRequest, "Ignoring duplicate entity ClientQuotaEntity(entries={user=alice})"},
	}
	alts := make([]QuotaAlteration, len(tests))
	for i, tt := range tests {
		alts[i] = tt.alt
	}
	errs := c.AlterClientQuotas(ctx, alts, false)
	for i, tt := range tests {
		wantErr(t, tt.name, errs[i], tt.code, tt.msg)
	}
	img := n.Image()
	if got := img.ClientQuotas[alice]; got["producer_byte_rate"] != 1024 || got["request_percentage"] != 12.5 {
		t.Errorf("alice: got %v", got)
	}
	if got := img.ClientQuotas[defaultClient]["consumer_byte_rate"]; got != 2048 {
		t.Errorf("default client: got %v", got)
	}
	if len(img.ClientQuotas) != 3 {
		t.Errorf("entities: got %d, want 3", len(img.ClientQuotas))
	}
	errs = c.AlterClientQuotas(ctx, []QuotaAlteration{{Entity: alice, Ops: []QuotaOp{{Key: "producer_byte_rate", Remove: true}, {Key: "request_percentage", Remove: true}}}}, false)
	if errs[0] != nil || n.Image().ClientQuotas[alice] != nil {
		t.Errorf("remove: got %v, quotas %v", errs[0], n.Image().ClientQuotas[alice])
	}
}

func TestAllocateProducerIDsAndFeatures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := openSingle(t, dir, testControllerConfig())
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "")
	epoch := n.Image().Brokers[1].Epoch
	for i, want := range []int64{0, 1000, 2000} {
		first, count, err := c.AllocateProducerIDs(ctx, 1, epoch)
		if err != nil || first != want || count != 1000 {
			t.Errorf("block %d: got %d+%d, %v, want %d+1000", i, first, count, err, want)
		}
	}
	_, _, err := c.AllocateProducerIDs(ctx, 1, epoch-1)
	wantErr(t, "stale epoch", err, kerr.StaleBrokerEpoch, fmt.Sprintf("Expected broker epoch %d, but got broker epoch %d", epoch, epoch-1))
	_, _, err = c.AllocateProducerIDs(ctx, 7, -1)
	wantErr(t, "unknown broker", err, kerr.StaleBrokerEpoch, "No broker registration found for broker id 7")

	if err := c.UpdateFeatures(ctx, map[string]int16{"metadata.version": 21, "group.version": 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateFeatures(ctx, map[string]int16{"group.version": 0}); err != nil {
		t.Fatal(err)
	}
	if got := n.Image().Features; len(got) != 1 || got["metadata.version"] != 21 {
		t.Errorf("features: got %v", got)
	}

	n.Close()
	n = openSingle(t, dir, testControllerConfig())
	first, _, err := n.Controller().AllocateProducerIDs(ctx, 1, epoch)
	if err != nil || first != 3000 {
		t.Errorf("after restart: got %d, %v, want 3000", first, err)
	}
}
