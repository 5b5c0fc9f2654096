package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// describedKeys runs kafka-topics --describe with args and returns the
// "topic-partition" of every partition line, sorted, and the output.
func describedKeys(t *testing.T, bootstrap string, args ...string) ([]string, string) {
	t.Helper()
	out, err := runKafkaTopics(append([]string{"--bootstrap-server", bootstrap, "--describe"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for line := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(line, "\t") {
			continue
		}
		fields := map[string]string{}
		for f := range strings.SplitSeq(strings.TrimSpace(line), "\t") {
			k, v, _ := strings.Cut(f, ": ")
			fields[k] = v
		}
		keys = append(keys, fields["Topic"]+"-"+fields["Partition"])
	}
	slices.Sort(keys)
	return keys, out
}

// TestDescribeFiltersWithABrokerDown checks kafka-topics' partition
// filters against a cluster that loses a broker: with every node up
// nothing is under-replicated and RF 2 topics (min.insync.replicas 2) are
// at their minimum ISR; with broker 3 killed, the RF 3 partitions are
// under-replicated and at min ISR, the RF 2 partitions that had broker 3
// are under-replicated and under min ISR, and the single replica on broker
// 3 is unavailable (Leader: none) and under min ISR; once it is back
// every ISR is complete.
func TestDescribeFiltersWithABrokerDown(t *testing.T) {
	c := startCluster(t, clusterConfig{})
	bs := c.Bootstrap()
	kafkaTopics(t, "--bootstrap-server", bs, "--create", "--topic", "rf3", "--partitions", "3", "--replication-factor", "3")
	kafkaTopics(t, "--bootstrap-server", bs, "--create", "--topic", "rf2", "--partitions", "3", "--replication-factor", "2")
	kafkaTopics(t, "--bootstrap-server", bs, "--create", "--topic", "rf1", "--replica-assignment", "3,1",
		"--config", "min.insync.replicas=1")
	var withThree []string // rf2 partitions that have a replica on broker 3
	var withoutThree []string
	waitFor(t, 20*time.Second, "complete ISRs", func() (bool, string) {
		out, err := runKafkaTopics("--bootstrap-server", bs, "--describe", "--topic", "rf.")
		if err != nil {
			return false, err.Error()
		}
		ps := parseDescribe(t, out)
		if len(ps) != 8 {
			return false, out
		}
		for _, p := range ps {
			if len(p.isr) != len(p.replicas) {
				return false, out
			}
		}
		withThree, withoutThree = nil, nil
		for _, p := range ps {
			if p.topic != "rf2" {
				continue
			}
			key := fmt.Sprintf("rf2-%d", p.partition)
			if slices.Contains(p.replicas, 3) {
				withThree = append(withThree, key)
			} else {
				withoutThree = append(withoutThree, key)
			}
		}
		return true, ""
	})
	if len(withThree) != 2 || len(withoutThree) != 1 {
		t.Fatalf("rf2 partitions with a replica on broker 3: %v, without: %v; want two and one (crosswise placement)", withThree, withoutThree)
	}
	check := func(filter string, want []string) {
		t.Helper()
		got, out := describedKeys(t, bs, "--topic", "rf.", filter)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: partitions %v, want %v\n%s", filter, got, want, out)
		}
	}
	check("--under-replicated-partitions", nil)
	check("--under-min-isr-partitions", nil)
	check("--unavailable-partitions", nil)
	check("--at-min-isr-partitions", []string{"rf1-0", "rf1-1", "rf2-0", "rf2-1", "rf2-2"})

	c.Node(3).Kill()
	waitFor(t, 30*time.Second, "broker 3 out of every ISR", func() (bool, string) {
		out, err := runKafkaTopics("--bootstrap-server", bs, "--describe", "--topic", "rf[23]")
		if err != nil {
			return false, err.Error()
		}
		for _, p := range parseDescribe(t, out) {
			if slices.Contains(p.isr, 3) || p.leader == 3 {
				return false, out
			}
		}
		return true, ""
	})
	rf3 := []string{"rf3-0", "rf3-1", "rf3-2"}
	check("--under-replicated-partitions", append(slices.Clone(rf3), withThree...))
	check("--under-min-isr-partitions", append(slices.Clone(withThree), "rf1-0"))
	// KRaft keeps the last ISR member of a partition that lost its only
	// replica (rf1-0: Leader: none, Isr: 3), so it is at min ISR too.
	check("--at-min-isr-partitions", append(slices.Clone(rf3), append(withoutThree, "rf1-0", "rf1-1")...))
	check("--unavailable-partitions", []string{"rf1-0"})
	if _, out := describedKeys(t, bs, "--topic", "rf1", "--unavailable-partitions"); !strings.Contains(out, "\tLeader: none\t") {
		t.Errorf("unavailable partition not described with Leader: none:\n%s", out)
	}

	if err := c.Node(3).Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "broker 3 back in every ISR", func() (bool, string) {
		got, out := describedKeys(t, bs, "--topic", "rf.", "--under-replicated-partitions")
		if len(got) > 0 {
			return false, out
		}
		got, out = describedKeys(t, bs, "--topic", "rf.", "--unavailable-partitions")
		return len(got) == 0, out
	})
}
