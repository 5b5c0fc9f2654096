package topics

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/IBM/sarama"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// topicView is one described topic, as printed.
type topicView struct {
	Name              string           `json:"name"`
	ID                string           `json:"topic_id"`
	PartitionCount    int              `json:"partition_count"`
	ReplicationFactor int              `json:"replication_factor"`
	Configs           []configView     `json:"configs"`
	Partitions        []*partitionView `json:"partitions"`
	// printTopic is false when a partition filter hides the topic line.
	printTopic bool
}

type configView struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type partitionView struct {
	Topic            string  `json:"-"`
	Partition        int32   `json:"partition"`
	Leader           *int32  `json:"leader"`
	Replicas         []int32 `json:"replicas"`
	ISR              []int32 `json:"isr"`
	AddingReplicas   []int32 `json:"adding_replicas,omitempty"`
	RemovingReplicas []int32 `json:"removing_replicas,omitempty"`
	ELR              []int32 `json:"elr"`
	LastKnownELR     []int32 `json:"last_known_elr"`
	reassigning      bool
}

func (o *Options) describe(ctx context.Context, c *cluster) error {
	var topics []topicInfo
	if id, useID, err := o.topicIDFilter(); err != nil {
		return err
	} else if useID {
		all, err := c.metadata(ctx, "listTopics", nil)
		if err != nil {
			return err
		}
		for _, t := range all {
			if t.ID == id && !(*o.ExcludeInternal && (t.Internal || internalTopics[t.Name])) {
				topics = append(topics, t)
			}
		}
		if len(topics) == 0 && !*o.IfExists {
			return errorf("java.lang.IllegalArgumentException", "TopicId '%s' does not exist as expected", formatUUID(id))
		}
	} else {
		if topics, err = o.topics(ctx, c); err != nil {
			return err
		}
		if err := o.ensureExists(len(topics)); err != nil {
			return err
		}
		limit := int32(2000)
		if o.PartitionLimit.Given() {
			if limit, err = o.PartitionLimit.Int32(); err != nil {
				return err
			}
		}
		if _, err := c.describePartitions(ctx, topics, limit); err != nil {
			return err
		}
	}
	if len(topics) == 0 {
		if *o.Output == cli.OutputJSON {
			return cli.WriteJSON(o.IO.Out, struct {
				Topics []*topicView `json:"topics"`
			}{Topics: []*topicView{}})
		}
		return nil
	}

	names := make([]string, len(topics))
	byName := map[string]topicInfo{}
	for i, t := range topics {
		names[i] = t.Name
		byName[t.Name] = t
	}
	configs, err := c.configs(names)
	if err != nil {
		return err
	}
	live, err := c.liveBrokers()
	if err != nil {
		return err
	}
	reassignments, err := c.reassignments(topics)
	if err != nil {
		return err
	}

	filters := *o.UnderReplicated || *o.Unavailable || *o.UnderMinISR || *o.AtMinISR
	var views []*topicView
	for _, name := range javaHashOrder(names) {
		t := byName[name]
		if len(t.Partitions) == 0 {
			continue
		}
		v := &topicView{Name: t.Name, PartitionCount: len(t.Partitions), Configs: []configView{}}
		if t.ID != zeroUUID {
			v.ID = formatUUID(t.ID)
		}
		minISR := 1
		for _, e := range configs[name] {
			if e.Name == "min.insync.replicas" {
				minISR, _ = strconv.Atoi(e.Value)
			}
			if isDefault(e) {
				continue
			}
			val := e.Value
			if e.Sensitive {
				val = "null"
			}
			v.Configs = append(v.Configs, configView{e.Name, val})
		}
		ra := reassignments[name]
		for i, p := range t.Partitions {
			pv := &partitionView{Topic: name, Partition: p.ID, Replicas: nonNil(p.Replicas), ISR: nonNil(p.ISR),
				ELR: p.ELR, LastKnownELR: p.LastKnownELR}
			if p.Leader >= 0 {
				leader := p.Leader
				pv.Leader = &leader
			}
			rf := len(p.Replicas)
			if r, ok := ra[p.ID]; ok {
				pv.AddingReplicas, pv.RemovingReplicas = nonNil(r.Adding), nonNil(r.Removing)
				pv.reassigning = true
				if reassigning(p.Replicas, r) {
					rf = len(r.Replicas) - len(r.Adding)
				}
			}
			if i == 0 {
				v.ReplicationFactor = rf
			}
			show := !filters ||
				*o.UnderReplicated && rf-len(p.ISR) > 0 ||
				*o.Unavailable && (pv.Leader == nil || !live[p.Leader]) ||
				*o.UnderMinISR && (pv.Leader == nil || len(p.ISR) < minISR) ||
				*o.AtMinISR && len(p.ISR) == minISR
			if show && !*o.WithOverrides {
				v.Partitions = append(v.Partitions, pv)
			}
		}
		v.printTopic = !filters && (!*o.WithOverrides || len(v.Configs) > 0)
		if v.printTopic || len(v.Partitions) > 0 {
			views = append(views, v)
		}
	}

	switch *o.Output {
	case cli.OutputJSON:
		return writeDescribeJSON(o.IO.Out, views)
	case cli.OutputTable:
		return writeDescribeTable(o.IO.Out, views)
	}
	return writeDescribe(o.IO.Out, views)
}

// topicIDFilter returns the --topic-id to describe by, when one is given and
// is not Kafka's zero UUID.
func (o *Options) topicIDFilter() ([16]byte, bool, error) {
	if !o.TopicID.Given() {
		return zeroUUID, false, nil
	}
	s, err := o.TopicID.Get()
	if err != nil {
		return zeroUUID, false, err
	}
	id, err := parseUUID(s)
	if err != nil {
		return zeroUUID, false, err
	}
	return id, id != zeroUUID, nil
}

// isDefault is Kafka's ConfigEntry.isDefault: the value comes from the
// defaults, not from any override.
func isDefault(e sarama.ConfigEntry) bool {
	if e.Source == sarama.SourceUnknown {
		return e.Default
	}
	return e.Source == sarama.SourceDefault
}

// reassigning reports whether a reassignment is still moving replicas of the
// partition (Kafka's TopicCommand.isReassignmentInProgress).
func reassigning(replicas []int32, r reassignment) bool {
	for _, id := range replicas {
		if slices.Contains(r.Adding, id) || slices.Contains(r.Removing, id) {
			return true
		}
	}
	return false
}

// writeDescribe prints Kafka's describe lines, fields separated by tabs.
func writeDescribe(w io.Writer, views []*topicView) error {
	var b strings.Builder
	for _, v := range views {
		if v.printTopic {
			b.WriteString("Topic: " + v.Name)
			if v.ID != "" {
				b.WriteString("\tTopicId: " + v.ID)
			}
			fmt.Fprintf(&b, "\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ", v.PartitionCount, v.ReplicationFactor)
			for i, c := range v.Configs {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(c.Name + "=" + c.Value)
			}
			b.WriteByte('\n')
		}
		for _, p := range v.Partitions {
			fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s",
				p.Topic, p.Partition, leaderText(p.Leader), joinInts(p.Replicas, ","), joinInts(p.ISR, ","))
			if p.reassigning {
				fmt.Fprintf(&b, "\tAdding Replicas: %s\tRemoving Replicas: %s", joinInts(p.AddingReplicas, ","), joinInts(p.RemovingReplicas, ","))
			}
			fmt.Fprintf(&b, "\tElr: %s\tLastKnownElr: %s\n", elrText(p.ELR), elrText(p.LastKnownELR))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func leaderText(l *int32) string {
	if l == nil {
		return "none"
	}
	return strconv.Itoa(int(*l))
}

func elrText(ids []int32) string {
	if ids == nil {
		return "N/A"
	}
	return joinInts(ids, ",")
}

func writeDescribeJSON(w io.Writer, views []*topicView) error {
	for _, v := range views {
		if v.Partitions == nil {
			v.Partitions = []*partitionView{}
		}
	}
	return cli.WriteJSON(w, struct {
		Topics []*topicView `json:"topics"`
	}{Topics: append([]*topicView{}, views...)})
}

func writeDescribeTable(w io.Writer, views []*topicView) error {
	var rows [][]string
	for _, v := range views {
		for _, p := range v.Partitions {
			rows = append(rows, []string{p.Topic, strconv.Itoa(int(p.Partition)), leaderText(p.Leader),
				joinInts(p.Replicas, ","), joinInts(p.ISR, ","), elrText(p.ELR)})
		}
	}
	return cli.WriteTable(w, []string{"TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR", "ELR"}, rows)
}
