package topics

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// cluster is kafka-topics' view of the cluster: one sarama client opened on
// first use, and the ClusterAdmin on top of it.
type cluster struct {
	cfg    *client.Config
	sc     *sarama.Config
	client sarama.Client
	admin  sarama.ClusterAdmin
}

func newCluster(cfg *client.Config) *cluster {
	return &cluster{cfg: cfg, sc: cfg.Sarama()}
}

// open connects for the named call (Kafka's admin call names appear in its
// timeout message).
func (c *cluster) open(ctx context.Context, call string) error {
	if c.client != nil {
		return nil
	}
	cl, err := client.Connect(ctx, c.cfg, c.sc, call)
	if err != nil {
		return err
	}
	admin, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		cl.Close()
		return err
	}
	c.client, c.admin = cl, admin
	return nil
}

func (c *cluster) close() {
	if c.admin != nil {
		_ = c.admin.Close() // closes the client too
	}
}

// topicInfo is what Metadata says about a topic.
type topicInfo struct {
	Name       string
	ID         [16]byte
	Internal   bool
	Partitions []partitionInfo
}

type partitionInfo struct {
	ID       int32
	Leader   int32 // -1: none
	Replicas []int32
	ISR      []int32
	// ELR and LastKnownELR are nil when the broker could not say
	// (DescribeTopicPartitions unavailable).
	ELR, LastKnownELR []int32
}

// metadata describes every topic (names nil) or the named ones.
func (c *cluster) metadata(ctx context.Context, call string, names []string) ([]topicInfo, error) {
	if err := c.open(ctx, call); err != nil {
		return nil, err
	}
	md, err := c.admin.DescribeTopics(names)
	if err != nil {
		return nil, err
	}
	out := make([]topicInfo, 0, len(md))
	for _, t := range md {
		if !errors.Is(t.Err, sarama.ErrNoError) {
			return nil, t.Err
		}
		ti := topicInfo{Name: t.Name, ID: t.Uuid, Internal: t.IsInternal}
		for _, p := range t.Partitions {
			ti.Partitions = append(ti.Partitions, partitionInfo{
				ID: p.ID, Leader: p.Leader, Replicas: p.Replicas, ISR: p.Isr,
			})
		}
		out = append(out, ti)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// supports reports whether a broker advertises the API key.
func (c *cluster) supports(key int16) bool {
	for _, b := range c.client.Brokers() {
		_ = b.Open(c.client.Config())
		resp, err := b.ApiVersions(&sarama.ApiVersionsRequest{Version: 0})
		if err != nil {
			continue
		}
		for _, k := range resp.ApiKeys {
			if k.ApiKey == key {
				return true
			}
		}
		return false
	}
	return false
}

// describePartitions fills leaders, replicas, ISRs and ELRs of the named
// topics from DescribeTopicPartitions (KIP-966), following its cursor. It
// returns false when the brokers do not have the API.
func (c *cluster) describePartitions(ctx context.Context, topics []topicInfo, limit int32) (bool, error) {
	const describeTopicPartitionsKey = 75
	if len(topics) == 0 || !c.supports(describeTopicPartitionsKey) {
		return false, nil
	}
	kc, err := c.kgo()
	if err != nil {
		return false, err
	}
	defer kc.Close()

	byName := map[string]*topicInfo{}
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	req.ResponsePartitionLimit = limit
	for i := range topics {
		t := &topics[i]
		t.Partitions = nil
		byName[t.Name] = t
		rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
		rt.Topic = t.Name
		req.Topics = append(req.Topics, rt)
	}
	for {
		resp, err := req.RequestWith(ctx, kc)
		if err != nil {
			return false, err
		}
		for _, rt := range resp.Topics {
			if err := kerrFor(rt.ErrorCode, nil); err != nil {
				return false, err
			}
			t := byName[derefString(rt.Topic)]
			if t == nil {
				continue
			}
			for _, p := range rt.Partitions {
				t.Partitions = append(t.Partitions, partitionInfo{
					ID: p.Partition, Leader: p.LeaderID, Replicas: p.Replicas, ISR: p.ISR,
					ELR: nonNil(p.EligibleLeaderReplicas), LastKnownELR: nonNil(p.LastKnownELR),
				})
			}
		}
		if resp.NextCursor == nil {
			break
		}
		req.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{
			Topic:     resp.NextCursor.Topic,
			Partition: resp.NextCursor.Partition,
		}
	}
	for i := range topics {
		slices.SortFunc(topics[i].Partitions, func(a, b partitionInfo) int { return int(a.ID - b.ID) })
	}
	return true, nil
}

func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// kgo opens a franz-go client with the same settings as the sarama one, for
// the requests sarama lacks: the connection options of the client
// configuration, with sarama's client id and dial timeout.
func (c *cluster) kgo() (*kgo.Client, error) {
	opts := append(c.cfg.Kgo(),
		kgo.ClientID(c.sc.ClientID),
		kgo.DialTimeout(c.sc.Net.DialTimeout),
		kgo.RequestTimeoutOverhead(c.cfg.RequestTimeout),
		kgo.RetryBackoffFn(func(int) time.Duration { return c.cfg.RetryBackoff }),
	)
	return kgo.NewClient(opts...)
}

// configs returns each topic's non-default configs, in the broker's order.
func (c *cluster) configs(names []string) (map[string][]sarama.ConfigEntry, error) {
	res := make([]*sarama.ConfigResource, len(names))
	for i, n := range names {
		res[i] = &sarama.ConfigResource{Type: sarama.TopicResource, Name: n}
	}
	results, err := c.admin.DescribeConfigs(res, sarama.DescribeConfigsOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string][]sarama.ConfigEntry{}
	for _, r := range results {
		if !errors.Is(r.ErrorCode, sarama.ErrNoError) {
			return nil, kerrFor(int16(r.ErrorCode), &r.ErrorMsg)
		}
		out[r.Name] = r.Configs
	}
	return out, nil
}

// liveBrokers returns the ids of the brokers DescribeCluster lists.
func (c *cluster) liveBrokers() (map[int32]bool, error) {
	brokers, _, err := c.admin.DescribeCluster()
	if err != nil {
		return nil, err
	}
	live := map[int32]bool{}
	for _, b := range brokers {
		live[b.ID()] = true
	}
	return live, nil
}

// reassignment is a partition's ongoing reassignment.
type reassignment struct {
	Replicas, Adding, Removing []int32
}

// reassignments lists ongoing reassignments; like Kafka, a broker without
// the API or a refusal to tell yields none.
func (c *cluster) reassignments(topics []topicInfo) (map[string]map[int32]reassignment, error) {
	out := map[string]map[int32]reassignment{}
	for _, t := range topics {
		ids := make([]int32, len(t.Partitions))
		for i, p := range t.Partitions {
			ids[i] = p.ID
		}
		st, err := c.admin.ListPartitionReassignments(t.Name, ids)
		if err != nil {
			if errors.Is(err, sarama.ErrUnsupportedVersion) || errors.Is(err, sarama.ErrClusterAuthorizationFailed) {
				return map[string]map[int32]reassignment{}, nil
			}
			return nil, err
		}
		for topic, parts := range st {
			for p, s := range parts {
				if out[topic] == nil {
					out[topic] = map[int32]reassignment{}
				}
				out[topic][p] = reassignment{Replicas: s.Replicas, Adding: s.AddingReplicas, Removing: s.RemovingReplicas}
			}
		}
	}
	return out, nil
}

// kerrFor turns a response's error code and message into the error Kafka's
// client would raise.
func kerrFor(code int16, msg *string) error {
	if code == 0 {
		return nil
	}
	m := ""
	if msg != nil {
		m = *msg
	}
	return &sarama.TopicError{Err: sarama.KError(code), ErrMsg: &m}
}
