package consumergroups

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// topicPartition is Kafka's TopicPartition; String is its toString.
type topicPartition struct {
	Topic     string
	Partition int32
}

func (tp topicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// cluster is the tool's view of the cluster: one sarama client opened on
// first use and the ClusterAdmin on top of it. Every call is bounded by
// --timeout, as every admin call of Kafka's tool is: retriable errors
// (coordinator moving or loading, leadership changing) are retried until
// then.
//
// The ClusterAdmin calls used are ListConsumerGroups, DescribeConsumerGroups,
// ListConsumerGroupOffsets, ListOffsets, AlterConsumerGroupOffsets,
// DeleteConsumerGroup, DeleteConsumerGroupOffset, DescribeTopics and
// Coordinator. ListGroups with state and type filters (KIP-518, KIP-848) is
// sent through sarama's Broker, because ListConsumerGroups neither sends
// filters nor returns states and types.
type cluster struct {
	cfg     *client.Config
	sc      *sarama.Config
	timeout time.Duration

	client  sarama.Client
	admin   sarama.ClusterAdmin
	openErr error
}

func newCluster(cfg *client.Config, timeout time.Duration) *cluster {
	// Kafka's admin calls give up after --timeout; so does connecting.
	cfg.APITimeout = timeout
	sc := cfg.Sarama()
	// Kafka's admin client never creates topics by asking for them.
	sc.Metadata.AllowAutoTopicCreation = false
	if timeout > 0 && timeout < sc.Net.ReadTimeout {
		sc.Net.ReadTimeout = timeout
		sc.Net.WriteTimeout = timeout
		sc.Admin.Timeout = timeout
	}
	return &cluster{cfg: cfg, sc: sc, timeout: timeout}
}

// open connects for the named call; Kafka's admin client names the call in
// its timeout message. A failure to connect is remembered: every later call
// fails with it, as every pending call of Kafka's admin client times out.
func (c *cluster) open(ctx context.Context, call string) error {
	if c.client != nil {
		return nil
	}
	if c.openErr != nil {
		return c.openErr
	}
	cl, err := client.Connect(ctx, c.cfg, c.sc, call)
	if err != nil {
		c.openErr = err
		return err
	}
	admin, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		_ = cl.Close()
		c.openErr = err
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

// retry runs fn until it succeeds, fails with an error retrying cannot fix,
// or --timeout passes.
func (c *cluster) retry(ctx context.Context, group string, fn func() error) error {
	deadline := time.Now().Add(c.timeout)
	backoff := 20 * time.Millisecond
	for {
		err := fn()
		if err == nil || !retriable(err) {
			return err
		}
		if group != "" && c.client != nil {
			_ = c.client.RefreshCoordinator(group)
		}
		if time.Now().Add(backoff).After(deadline) {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// retriable reports the errors Kafka's admin client retries: the group
// coordinator is moving, not yet available or still loading, or a partition
// leader is changing.
func retriable(err error) bool {
	var ke sarama.KError
	if !errors.As(err, &ke) {
		return false
	}
	switch ke {
	case sarama.ErrConsumerCoordinatorNotAvailable, sarama.ErrNotCoordinatorForConsumer,
		sarama.ErrOffsetsLoadInProgress, sarama.ErrNotLeaderForPartition,
		sarama.ErrLeaderNotAvailable, sarama.ErrRequestTimedOut:
		return true
	}
	return false
}

// groupListing is one group of ListGroups.
type groupListing struct {
	ID           string
	ProtocolType string
	State        string // "" when the broker did not say (ListGroups v3 and older)
	Type         string // "" when the broker did not say (ListGroups v4 and older)
}

// isConsumerGroup is the admin client's filter on listed and described
// groups: consumer groups use the "consumer" protocol type, groups that only
// committed offsets have none.
func isConsumerGroup(protocolType string) bool {
	return protocolType == "consumer" || protocolType == ""
}

// listGroupIDs lists the consumer groups of every broker with
// ClusterAdmin.ListConsumerGroups, sorted by id.
func (c *cluster) listGroupIDs(ctx context.Context) ([]string, error) {
	if err := c.open(ctx, "findAllBrokers"); err != nil {
		return nil, err
	}
	var groups map[string]string
	err := c.retry(ctx, "", func() error {
		var err error
		groups, err = c.admin.ListConsumerGroups()
		return err
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(groups))
	for id, pt := range groups {
		if isConsumerGroup(pt) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// listGroups sends ListGroups with state and type filters (KIP-518,
// KIP-848) to every broker, as ListConsumerGroups cannot. Groups are sorted
// by id.
func (c *cluster) listGroups(ctx context.Context, states, types []string) ([]groupListing, error) {
	if err := c.open(ctx, "findAllBrokers"); err != nil {
		return nil, err
	}
	seen := map[string]groupListing{}
	for _, b := range c.client.Brokers() {
		var resp *sarama.ListGroupsResponse
		err := c.retry(ctx, "", func() error {
			if err := b.Open(c.client.Config()); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
				return err
			}
			var err error
			resp, err = b.ListGroups(&sarama.ListGroupsRequest{Version: 5, StatesFilter: states, TypesFilter: types})
			if err == nil && resp.Err != sarama.ErrNoError {
				err = resp.Err
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		for id, pt := range resp.Groups {
			if !isConsumerGroup(pt) {
				continue
			}
			gd := resp.GroupsData[id]
			seen[id] = groupListing{ID: id, ProtocolType: pt, State: gd.GroupState, Type: gd.GroupType}
		}
	}
	out := make([]groupListing, 0, len(seen))
	for _, g := range seen {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// groupInfo is a described group.
type groupInfo struct {
	ID           string
	State        string
	ProtocolType string
	Protocol     string // the assignment strategy of a stable group
	Members      []memberInfo
}

type memberInfo struct {
	ID, InstanceID, ClientID, Host string
	// Assignment is sorted by topic, then partition.
	Assignment []topicPartition
}

// notConsumerGroupError is the admin client's refusal to describe a group
// of another protocol type (Kafka Connect workers, for instance).
type notConsumerGroupError struct{ group, protocolType string }

func (e *notConsumerGroupError) Error() string {
	return fmt.Sprintf("GroupId %s is not a consumer group (%s).", e.group, e.protocolType)
}

// describeGroups describes groups with ClusterAdmin.DescribeConsumerGroups
// and decodes each member's assignment with sarama's consumer protocol
// decoder. Members are sorted by member id.
func (c *cluster) describeGroups(ctx context.Context, ids []string) (map[string]*groupInfo, error) {
	if err := c.open(ctx, "describeConsumerGroups(api=FIND_COORDINATOR)"); err != nil {
		return nil, err
	}
	out := map[string]*groupInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	var descs []*sarama.GroupDescription
	err := c.retry(ctx, "", func() error {
		var err error
		descs, err = c.admin.DescribeConsumerGroups(ids)
		if err != nil {
			for _, id := range ids {
				_ = c.client.RefreshCoordinator(id)
			}
			return err
		}
		for _, d := range descs {
			if retriable(d.Err) {
				_ = c.client.RefreshCoordinator(d.GroupId)
				return d.Err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range descs {
		if d.Err != sarama.ErrNoError {
			return nil, d.Err
		}
		if !isConsumerGroup(d.ProtocolType) {
			return nil, &notConsumerGroupError{group: d.GroupId, protocolType: d.ProtocolType}
		}
		g := &groupInfo{ID: d.GroupId, State: d.State, ProtocolType: d.ProtocolType, Protocol: d.Protocol}
		for id, m := range d.Members {
			mi := memberInfo{ID: id, ClientID: m.ClientId, Host: m.ClientHost}
			if m.GroupInstanceId != nil {
				mi.InstanceID = *m.GroupInstanceId
			}
			if len(m.MemberAssignment) > 0 {
				a, err := m.GetMemberAssignment()
				if err != nil {
					return nil, fmt.Errorf("decode assignment of member %s of group %s: %w", id, d.GroupId, err)
				}
				for topic, parts := range a.Topics {
					for _, p := range parts {
						mi.Assignment = append(mi.Assignment, topicPartition{topic, p})
					}
				}
				sortPartitions(mi.Assignment)
			}
			g.Members = append(g.Members, mi)
		}
		sort.Slice(g.Members, func(i, j int) bool { return g.Members[i].ID < g.Members[j].ID })
		out[d.GroupId] = g
	}
	return out, nil
}

// coordinator is the broker coordinating a group.
func (c *cluster) coordinator(ctx context.Context, group string) (id int32, addr string, err error) {
	if err := c.open(ctx, "describeConsumerGroups(api=FIND_COORDINATOR)"); err != nil {
		return 0, "", err
	}
	var b *sarama.Broker
	err = c.retry(ctx, group, func() error {
		var err error
		b, err = c.admin.Coordinator(group)
		return err
	})
	if err != nil {
		return 0, "", err
	}
	return b.ID(), b.Addr(), nil
}

// committed returns the group's committed offsets
// (ClusterAdmin.ListConsumerGroupOffsets for all partitions).
func (c *cluster) committed(ctx context.Context, group string) (map[topicPartition]int64, error) {
	if err := c.open(ctx, "offsetFetch(api=FIND_COORDINATOR)"); err != nil {
		return nil, err
	}
	var resp *sarama.OffsetFetchResponse
	err := c.retry(ctx, group, func() error {
		var err error
		resp, err = c.admin.ListConsumerGroupOffsets(group, nil)
		if err != nil {
			return err
		}
		if g := resp.GetGroup(group); g != nil && g.Err != sarama.ErrNoError {
			return g.Err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	blocks := resp.Blocks
	if g := resp.GetGroup(group); g != nil {
		blocks = g.Blocks
	}
	out := map[topicPartition]int64{}
	for topic, parts := range blocks {
		for p, b := range parts {
			if b.Err != sarama.ErrNoError {
				return nil, b.Err
			}
			// A negative offset means nothing is committed.
			if b.Offset >= 0 {
				out[topicPartition{topic, p}] = b.Offset
			}
		}
	}
	return out, nil
}

// Offset specs of ListOffsets.
const (
	specLatest   int64 = -1
	specEarliest int64 = -2
)

// listOffsets asks the partition leaders for the offset matching spec
// (latest, earliest, or a timestamp) of each partition with
// ClusterAdmin.ListOffsets. Partitions whose leaders moved are asked again
// after a metadata refresh; the errors of partitions that could not be
// answered are returned beside the offsets.
func (c *cluster) listOffsets(ctx context.Context, tps []topicPartition, spec int64) (map[topicPartition]int64, map[topicPartition]error, error) {
	offsets := map[topicPartition]int64{}
	failed := map[topicPartition]error{}
	if len(tps) == 0 {
		return offsets, failed, nil
	}
	if err := c.open(ctx, "listOffsets(api=METADATA)"); err != nil {
		return nil, nil, err
	}
	pending := append([]topicPartition(nil), tps...)
	err := c.retry(ctx, "", func() error {
		req := map[string]map[int32]int64{}
		for _, tp := range pending {
			if req[tp.Topic] == nil {
				req[tp.Topic] = map[int32]int64{}
			}
			req[tp.Topic][tp.Partition] = spec
		}
		res, err := c.admin.ListOffsets(req, nil)
		if err != nil && len(res) == 0 {
			return err
		}
		var again []topicPartition
		var retryErr error
		for _, tp := range pending {
			r := res[tp.Topic][tp.Partition]
			switch {
			case r == nil:
				failed[tp] = err
			case r.Err == nil || errors.Is(r.Err, sarama.ErrNoError):
				offsets[tp] = r.Offset
				delete(failed, tp)
			default:
				failed[tp] = r.Err
				if retriable(r.Err) {
					again = append(again, tp)
					retryErr = r.Err
				}
			}
		}
		if len(again) > 0 {
			topics := map[string]bool{}
			for _, tp := range again {
				topics[tp.Topic] = true
			}
			names := make([]string, 0, len(topics))
			for t := range topics {
				names = append(names, t)
			}
			_ = c.client.RefreshMetadata(names...)
			pending = again
			return retryErr
		}
		return nil
	})
	if err != nil && !retriable(err) && len(offsets) == 0 && len(failed) == 0 {
		return nil, nil, err
	}
	return offsets, failed, nil
}

// alterOffsets commits offsets for the group with
// ClusterAdmin.AlterConsumerGroupOffsets, as an admin (generation -1, no
// member id): only an empty group accepts it.
func (c *cluster) alterOffsets(ctx context.Context, group string, offsets map[topicPartition]int64) error {
	if len(offsets) == 0 {
		return nil
	}
	if err := c.open(ctx, "offsetCommit(api=FIND_COORDINATOR)"); err != nil {
		return err
	}
	req := map[string]map[int32]sarama.OffsetAndMetadata{}
	for tp, o := range offsets {
		if req[tp.Topic] == nil {
			req[tp.Topic] = map[int32]sarama.OffsetAndMetadata{}
		}
		req[tp.Topic][tp.Partition] = sarama.OffsetAndMetadata{Offset: o, LeaderEpoch: -1}
	}
	return c.retry(ctx, group, func() error {
		resp, err := c.admin.AlterConsumerGroupOffsets(group, req, nil)
		if err != nil {
			return err
		}
		keys := make([]topicPartition, 0, len(offsets))
		for tp := range offsets {
			keys = append(keys, tp)
		}
		sortPartitions(keys)
		for _, tp := range keys {
			if e := resp.Errors[tp.Topic][tp.Partition]; e != sarama.ErrNoError {
				return e
			}
		}
		return nil
	})
}

// deleteGroup deletes one group with ClusterAdmin.DeleteConsumerGroup.
func (c *cluster) deleteGroup(ctx context.Context, group string) error {
	if err := c.open(ctx, "deleteConsumerGroups(api=FIND_COORDINATOR)"); err != nil {
		return err
	}
	return c.retry(ctx, group, func() error { return c.admin.DeleteConsumerGroup(group) })
}

// deleteOffset deletes the group's committed offset of one partition with
// ClusterAdmin.DeleteConsumerGroupOffset.
func (c *cluster) deleteOffset(ctx context.Context, group string, tp topicPartition) error {
	if err := c.open(ctx, "offsetDelete(api=FIND_COORDINATOR)"); err != nil {
		return err
	}
	return c.retry(ctx, group, func() error { return c.admin.DeleteConsumerGroupOffset(group, tp.Topic, tp.Partition) })
}

// partitions returns the partition ids of each topic, with the error of
// each topic that could not be described (ClusterAdmin.DescribeTopics).
func (c *cluster) partitions(ctx context.Context, topics []string) (map[string][]int32, map[string]error, error) {
	if err := c.open(ctx, "describeTopics"); err != nil {
		return nil, nil, err
	}
	var md []*sarama.TopicMetadata
	err := c.retry(ctx, "", func() error {
		var err error
		md, err = c.admin.DescribeTopics(topics)
		if err != nil {
			return err
		}
		for _, t := range md {
			if retriable(t.Err) {
				return t.Err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	parts := map[string][]int32{}
	failed := map[string]error{}
	for _, t := range md {
		if t.Err != sarama.ErrNoError {
			failed[t.Name] = t.Err
			continue
		}
		ps := make([]int32, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			ps = append(ps, p.ID)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		parts[t.Name] = ps
	}
	for _, t := range topics {
		if _, ok := parts[t]; !ok && failed[t] == nil {
			failed[t] = sarama.ErrUnknownTopicOrPartition
		}
	}
	return parts, failed, nil
}

func sortPartitions(tps []topicPartition) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
}
