package metadata

import (
	"context"
	crand "crypto/rand"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// maxRecordsPerOp bounds the records one operation may write, as KRaft's
// QuorumController.MAX_RECORDS_PER_USER_OP does; a larger operation fails
// with POLICY_VIOLATION.
const maxRecordsPerOp = 10000

// producerIDBlockSize is the number of producer ids in one block
// (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE).
const producerIDBlockSize = 1000

// ControllerConfig supplies what the controller needs from the broker's
// configuration. Every function may be nil.
type ControllerConfig struct {
	// DefaultNumPartitions (num.partitions) and DefaultReplicationFactor
	// (default.replication.factor) replace -1 in CreateTopics; zero means 1.
	DefaultNumPartitions     int32
	DefaultReplicationFactor int16
	// ValidateConfigs checks the complete set of dynamic configs a resource
	// would have after a change (topic overrides, one broker's, or the
	// cluster default). Returning an *Error picks the Kafka error; any other
	// error becomes INVALID_CONFIG with its text as the message.
	ValidateConfigs func(res ConfigResource, configs map[string]string) error
	// ListConfig reports whether a config is list-typed, and its default,
	// for IncrementalAlterConfigs APPEND and SUBTRACT.
	ListConfig func(t ConfigResourceType, name string) (isList bool, defaultValue string)
	// UncleanLeaderElection reports whether unclean.leader.election.enable
	// is in effect for topic, resolved over topic, broker, cluster and
	// static configs by the caller. Nil means false, Kafka's default.
	UncleanLeaderElection func(img *Image, topic string) bool
	// BrokerSessionTimeout (broker.session.timeout.ms, 9 s in Kafka) is
	// how long the active controller keeps an unfenced broker's session
	// without a heartbeat before fencing it (session.go). Zero disables
	// session expiry: brokers are then fenced only when they ask or are
	// told to, and an unfenced registration counts as live for
	// DUPLICATE_BROKER_REGISTRATION.
	BrokerSessionTimeout time.Duration
	// LeaderImbalanceCheckInterval is how often the active controller
	// moves leadership back to preferred replicas (controller_balance.go):
	// leader.imbalance.check.interval.seconds when
	// auto.leader.rebalance.enable is true (Kafka: 300 s, true). Zero
	// disables the balancing, as auto.leader.rebalance.enable=false does.
	LeaderImbalanceCheckInterval time.Duration
	// LeaderImbalancePerBrokerPercentage
	// (leader.imbalance.per.broker.percentage, Kafka's default 10) is the
	// share of a broker's preferred partitions, in percent, that it may
	// not lead before balancing elects it; 0 balances every partition
	// whose preferred replica can lead, as KRaft does.
	LeaderImbalancePerBrokerPercentage int32
	// UncleanLeaderElectionCheckInterval
	// (unclean.leader.election.interval.ms) is how often the active
	// controller elects leaders for leaderless partitions of topics with
	// unclean leader election enabled; zero means Kafka's default, five
	// minutes. Without UncleanLeaderElection it does nothing.
	UncleanLeaderElectionCheckInterval time.Duration
	// Rand drives replica placement; nil seeds one from crypto/rand.
	Rand Rand
	// IDSource supplies the random bytes of new topic ids; nil is
	// crypto/rand.
	IDSource io.Reader
}

// Controller validates and performs changes of cluster metadata. Its
// operations may be called on any node: they run on the active controller
// (the raft leader, after activation), here or forwarded to it over the
// controller RPC, retrying on a controller change until the context ends
// (forward.go). A node that cannot reach an active controller in time
// answers NOT_CONTROLLER or REQUEST_TIMED_OUT.
//
// On the active controller operations are serialized: each one reads the
// current image, decides, proposes its records as one atomic entry and
// waits until the entry is applied, all while holding the controller's
// turn. Errors for individual items are *Error values with Kafka's codes
// and messages, the same whether the operation ran here or was forwarded.
type Controller struct {
	n   *Node
	cfg ControllerConfig
	// turn is a one-slot semaphore: holding it is the right to read the
	// image and propose. rnd and ids are used only while holding it.
	turn chan struct{}
	rnd  Rand
	ids  io.Reader
	// sess holds the broker sessions while this node is the active
	// controller (session.go).
	sess sessions
}

func newController(n *Node, cfg ControllerConfig) *Controller {
	c := &Controller{n: n, cfg: cfg, turn: make(chan struct{}, 1), rnd: cfg.Rand, ids: cfg.IDSource}
	if c.rnd == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:])
		c.rnd = rand.New(rand.NewChaCha8(seed))
	}
	return c
}

// begin takes the controller's turn and returns the image to decide on.
// The caller must call end.
func (c *Controller) begin(ctx context.Context) (*Image, error) {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, newError(kerr.RequestTimedOut, "controller busy: %v", ctx.Err())
	}
	if !c.n.IsController() {
		<-c.turn
		return nil, ErrNotController
	}
	return c.n.Image(), nil
}

func (c *Controller) end() { <-c.turn }

// propose writes records as one entry. An empty list is a successful no-op.
func (c *Controller) propose(ctx context.Context, records []Record) (applied, error) {
	if len(records) == 0 {
		return applied{}, nil
	}
	if len(records) > maxRecordsPerOp {
		return applied{}, tooLarge()
	}
	return c.n.propose(ctx, records...)
}

func tooLarge() *Error {
	return newError(kerr.PolicyViolation, "Unable to perform excessively large batch operation.")
}

// validateConfigs runs the caller's validator and maps its error.
func (c *Controller) validateConfigs(res ConfigResource, configs map[string]string) error {
	if c.cfg.ValidateConfigs == nil {
		return nil
	}
	err := c.cfg.ValidateConfigs(res, configs)
	if err == nil {
		return nil
	}
	var me *Error
	if errors.As(err, &me) {
		return me
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return &Error{Code: ke, Message: err.Error()}
	}
	return &Error{Code: kerr.InvalidConfig, Message: err.Error()}
}

func (c *Controller) unclean(img *Image, topic string) bool {
	return c.cfg.UncleanLeaderElection != nil && c.cfg.UncleanLeaderElection(img, topic)
}

// TopicSpec is one topic of a CreateTopics request.
type TopicSpec struct {
	Name string
	// NumPartitions and ReplicationFactor are -1 for the defaults, and
	// must be -1 when Assignment is given.
	NumPartitions     int32
	ReplicationFactor int16
	// Assignment is a manual assignment: partition -> replicas, the first
	// replica preferred. Partitions must be 0..n-1.
	Assignment map[int32][]int32
	// Configs are the topic's config overrides.
	Configs map[string]string
}

// TopicResult is the outcome for one TopicSpec. On success ID,
// NumPartitions and ReplicationFactor describe the topic (ID stays zero
// for validate-only requests) and Configs holds its overrides; the caller
// adds defaults to describe effective configs.
type TopicResult struct {
	Name              string
	ID                TopicID
	Err               error
	NumPartitions     int32
	ReplicationFactor int16
	Configs           map[string]string
}

// CreateTopics creates topics with Kafka's rules and messages
// (ControllerApis.createTopics, ReplicationControlManager.createTopics).
// All successful topics are written in one entry, so either all of them
// exist afterwards or, on a failure to commit, all get that failure.
// Results are in request order.
func (c *Controller) CreateTopics(ctx context.Context, specs []TopicSpec, validateOnly bool) []TopicResult {
	results, err := mCreateTopics.call(ctx, c, createTopicsRequest{Specs: specs, ValidateOnly: validateOnly})
	if got := len(results); got != len(specs) {
		results = make([]TopicResult, len(specs))
		for i, s := range specs {
			results[i] = TopicResult{Name: s.Name, Err: resultsError(err, got, len(specs))}
		}
	}
	return results
}

// resultsError is the error of every item when an operation returned no
// usable per-item results.
func resultsError(err error, got, want int) error {
	if err != nil {
		return err
	}
	return newError(kerr.UnknownServerError, "the controller returned %d results for %d items", got, want)
}

// createTopics is CreateTopics on the active controller. The returned
// error is the request-level failure (not the controller, or the entry
// not committed), also set on the results it concerns.
func (c *Controller) createTopics(ctx context.Context, req createTopicsRequest) ([]TopicResult, error) {
	specs, validateOnly := req.Specs, req.ValidateOnly
	results := make([]TopicResult, len(specs))
	for i, s := range specs {
		results[i].Name = s.Name
	}
	img, err := c.begin(ctx)
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results, err
	}
	defer c.end()

	count := map[string]int{}
	for _, s := range specs {
		count[s.Name]++
	}
	// Existing names with '.' or '_', by their folded form.
	folded := map[string]string{}
	for name := range img.Topics {
		if hasCollisionChars(name) {
			f := collisionName(name)
			if cur, ok := folded[f]; !ok || name < cur {
				folded[f] = name
			}
		}
	}
	var records []Record
	var ok []int
	for i, s := range specs {
		r := &results[i]
		switch {
		case count[s.Name] > 1:
			r.Err = newError(kerr.InvalidRequest, "Duplicate topic name.")
			continue
		case s.Name == clusterMetadataTopic:
			r.Err = newError(kerr.InvalidRequest, "Creation of internal topic %s is prohibited.", clusterMetadataTopic)
			continue
		}
		if err := validateTopicName(s.Name); err != nil {
			r.Err = err
			continue
		}
		if img.Topics[s.Name] != nil {
			r.Err = newError(kerr.TopicAlreadyExists, "Topic '%s' already exists.", s.Name)
			continue
		}
		if hasCollisionChars(s.Name) {
			if other, hit := folded[collisionName(s.Name)]; hit {
				r.Err = newError(kerr.InvalidTopicException, "Topic '%s' collides with existing topic: %s", s.Name, other)
				continue
			}
		}
		if err := c.validateConfigs(ConfigResource{Type: ConfigTopic, Name: s.Name}, s.Configs); err != nil {
			r.Err = err
			continue
		}
		parts, err := c.assignTopic(img, s, len(records))
		if err != nil {
			r.Err = err
			if errors.Is(err, kerr.PolicyViolation) {
				return failAll(results, err), nil
			}
			continue
		}
		var id TopicID
		for {
			if id, err = NewUUID(c.ids); err != nil {
				return failAll(results, newError(kerr.UnknownServerError, "%v", err)), nil
			}
			if img.TopicsByID[id] == nil {
				break
			}
		}
		records = append(records, TopicRecord{Name: s.Name, ID: id})
		// Config records follow the TopicRecord and precede the
		// partitions, as in KRaft.
		for _, k := range sortedKeys(s.Configs) {
			v := s.Configs[k]
			records = append(records, ConfigRecord{ResourceType: ConfigTopic, ResourceName: s.Name, Name: k, Value: &v})
		}
		for p, replicas := range parts {
			isr := activeReplicas(img, replicas)
			records = append(records, PartitionRecord{
				TopicID: id, Partition: int32(p), Replicas: replicas, ISR: isr, Leader: isr[0],
			})
		}
		if len(records) > maxRecordsPerOp {
			return failAll(results, tooLarge()), nil
		}
		r.ID = id
		r.NumPartitions = int32(len(parts))
		r.ReplicationFactor = int16(len(parts[0]))
		r.Configs = s.Configs
		ok = append(ok, i)
		if hasCollisionChars(s.Name) {
			folded[collisionName(s.Name)] = s.Name
		}
	}
	if validateOnly {
		for _, i := range ok {
			results[i].ID = TopicID{}
		}
		return results, nil
	}
	if _, err := c.propose(ctx, records); err != nil {
		for _, i := range ok {
			results[i] = TopicResult{Name: results[i].Name, Err: err}
		}
		return results, err
	}
	return results, nil
}

func failAll(results []TopicResult, err error) []TopicResult {
	for i := range results {
		results[i] = TopicResult{Name: results[i].Name, Err: err}
	}
	return results
}

// assignTopic returns the replicas of each partition of a new topic, from
// the manual assignment or from the placer. pending is the number of
// records the operation has already produced.
func (c *Controller) assignTopic(img *Image, s TopicSpec, pending int) ([][]int32, error) {
	if len(s.Assignment) > 0 {
		if s.ReplicationFactor != -1 {
			return nil, newError(kerr.InvalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1.")
		}
		if s.NumPartitions != -1 {
			return nil, newError(kerr.InvalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1.")
		}
		if pending+1+len(s.Configs)+len(s.Assignment) > maxRecordsPerOp {
			return nil, tooLarge()
		}
		ids := make([]int32, 0, len(s.Assignment))
		for p := range s.Assignment {
			ids = append(ids, p)
		}
		slices.Sort(ids)
		rf := -1
		for _, p := range ids {
			replicas := s.Assignment[p]
			if err := validateManualAssignment(img, replicas, rf); err != nil {
				return nil, err
			}
			rf = len(replicas)
			if len(activeReplicas(img, replicas)) == 0 {
				return nil, newError(kerr.InvalidReplicaAssignment, "All brokers specified in the manual partition assignment for partition %d are fenced or in controlled shutdown.", p)
			}
		}
		parts := make([][]int32, len(ids))
		for i := range ids {
			replicas, ok := s.Assignment[int32(i)]
			if !ok {
				return nil, newError(kerr.InvalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence")
			}
			parts[i] = slices.Clone(replicas)
		}
		return parts, nil
	}
	if s.ReplicationFactor < -1 || s.ReplicationFactor == 0 {
		return nil, newError(kerr.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.")
	}
	if s.NumPartitions < -1 || s.NumPartitions == 0 {
		return nil, newError(kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.")
	}
	n := s.NumPartitions
	if n == -1 {
		n = max(c.cfg.DefaultNumPartitions, 1)
	}
	rf := s.ReplicationFactor
	if rf == -1 {
		rf = max(c.cfg.DefaultReplicationFactor, 1)
	}
	if pending+1+len(s.Configs)+int(n) > maxRecordsPerOp {
		return nil, tooLarge()
	}
	parts, err := placeReplicas(c.rnd, placementBrokers(img), int(n), int(rf))
	if err != nil {
		return nil, newError(kerr.InvalidReplicationFactor, "Unable to replicate the partition %d time(s): %v", rf, err)
	}
	for _, replicas := range parts {
		if len(activeReplicas(img, replicas)) == 0 {
			return nil, newError(kerr.InvalidReplicationFactor, "Unable to replicate the partition %d time(s): All brokers are currently fenced or in controlled shutdown.", rf)
		}
	}
	return parts, nil
}

// validateManualAssignment applies KRaft's
// validateManualPartitionAssignment; rf is the replica count of earlier
// partitions, or -1 for the first.
func validateManualAssignment(img *Image, replicas []int32, rf int) error {
	if len(replicas) == 0 {
		return newError(kerr.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list.")
	}
	sorted := slices.Clone(replicas)
	slices.Sort(sorted)
	for i, id := range sorted {
		if img.Brokers[id] == nil {
			return newError(kerr.InvalidReplicaAssignment, "The manual partition assignment includes broker %d, but no such broker is registered.", id)
		}
		if i > 0 && sorted[i-1] == id {
			return newError(kerr.InvalidReplicaAssignment, "The manual partition assignment includes the broker %d more than once.", id)
		}
	}
	if rf >= 0 && len(replicas) != rf {
		return newError(kerr.InvalidReplicaAssignment, "The manual partition assignment includes a partition with %d replica(s), but this is not consistent with previous partitions, which have %d replica(s).", len(replicas), rf)
	}
	return nil
}

// activeReplicas returns the replicas that may be in a new partition's ISR:
// the registered, unfenced ones, in replica order.
func activeReplicas(img *Image, replicas []int32) []int32 {
	out := make([]int32, 0, len(replicas))
	for _, id := range replicas {
		if img.isActive(id) {
			out = append(out, id)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TopicRef names a topic by name or by id (exactly one of them).
type TopicRef struct {
	Name string
	ID   TopicID
}

// DeleteTopicResult is the outcome for one TopicRef; Name and ID are filled
// in when the topic was found.
type DeleteTopicResult struct {
	Name string
	ID   TopicID
	Err  error
}

// DeleteTopics deletes topics named by name or id, with the checks and
// messages of KRaft's ControllerApis.deleteTopics. All deletions are one
// entry. Results are in request order. Whether deletion is enabled at all
// (delete.topic.enable) is the caller's check.
func (c *Controller) DeleteTopics(ctx context.Context, refs []TopicRef) []DeleteTopicResult {
	results, err := mDeleteTopics.call(ctx, c, refs)
	if got := len(results); got != len(refs) {
		results = make([]DeleteTopicResult, len(refs))
		for i, r := range refs {
			results[i] = DeleteTopicResult{Name: r.Name, ID: r.ID, Err: resultsError(err, got, len(refs))}
		}
	}
	return results
}

// deleteTopics is DeleteTopics on the active controller; the error is the
// request-level failure, as for createTopics.
func (c *Controller) deleteTopics(ctx context.Context, refs []TopicRef) ([]DeleteTopicResult, error) {
	results := make([]DeleteTopicResult, len(refs))
	for i, r := range refs {
		results[i] = DeleteTopicResult{Name: r.Name, ID: r.ID}
	}
	img, err := c.begin(ctx)
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results, err
	}
	defer c.end()

	names, ids := map[string]int{}, map[TopicID]int{}
	for _, r := range refs {
		if r.Name != "" && r.ID.IsZero() {
			names[r.Name]++
		} else if r.Name == "" && !r.ID.IsZero() {
			ids[r.ID]++
		}
	}
	targets := map[TopicID]int{} // topic id -> index of the ref that deletes it
	for i, r := range refs {
		res := &results[i]
		switch {
		case r.Name != "" && !r.ID.IsZero():
			res.Err = newError(kerr.InvalidRequest, "You may not specify both topic name and topic id.")
			continue
		case r.Name == "" && r.ID.IsZero():
			res.Err = newError(kerr.InvalidRequest, "Neither topic name nor id were specified.")
			continue
		case r.Name != "" && names[r.Name] > 1:
			res.Err = newError(kerr.InvalidRequest, "Duplicate topic name.")
			continue
		case r.Name == "" && ids[r.ID] > 1:
			res.Err = newError(kerr.InvalidRequest, "Duplicate topic id.")
			continue
		}
		var t *Topic
		if r.Name != "" {
			if t = img.Topics[r.Name]; t == nil {
				res.Err = codeError(kerr.UnknownTopicOrPartition)
				continue
			}
		} else if t = img.TopicsByID[r.ID]; t == nil {
			res.Err = codeError(kerr.UnknownTopicID)
			continue
		}
		res.Name, res.ID = t.Name, t.ID
		if j, dup := targets[t.ID]; dup {
			// A name that maps to an id also given directly.
			e := newError(kerr.InvalidRequest, "The provided topic name maps to an ID that was already supplied.")
			res.Err, results[j].Err = e, e
			continue
		}
		targets[t.ID] = i
	}
	var records []Record
	var deleted []int
	for i := range results {
		if results[i].Err == nil {
			records = append(records, RemoveTopicRecord{TopicID: results[i].ID})
			deleted = append(deleted, i)
		}
	}
	if _, err := c.propose(ctx, records); err != nil {
		for _, i := range deleted {
			results[i].Err = err
		}
		return results, err
	}
	return results, nil
}

// CreatePartitions grows topic to newCount partitions, placing the new ones
// or using assignment (one replica list per new partition), with the checks
// and messages of KRaft's ReplicationControlManager.createPartitions.
func (c *Controller) CreatePartitions(ctx context.Context, topic string, newCount int32, assignment [][]int32, validateOnly bool) error {
	_, err := mCreatePartitions.call(ctx, c, createPartitionsRequest{Topic: topic, NewCount: newCount, Assignment: assignment, ValidateOnly: validateOnly})
	return err
}

func (c *Controller) createPartitions(ctx context.Context, req createPartitionsRequest) (struct{}, error) {
	return struct{}{}, c.createPartitionsLocal(ctx, req.Topic, req.NewCount, req.Assignment, req.ValidateOnly)
}

func (c *Controller) createPartitionsLocal(ctx context.Context, topic string, newCount int32, assignment [][]int32, validateOnly bool) error {
	img, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer c.end()
	t := img.Topics[topic]
	if t == nil {
		return codeError(kerr.UnknownTopicOrPartition)
	}
	have := int32(len(t.Partitions))
	switch {
	case newCount == have:
		return newError(kerr.InvalidPartitions, "Topic already has %d partition(s).", have)
	case newCount < have:
		return newError(kerr.InvalidPartitions, "The topic %s currently has %d partition(s); %d would not be an increase.", topic, have, newCount)
	}
	additional := int(newCount - have)
	if assignment != nil && len(assignment) != additional {
		return newError(kerr.InvalidReplicaAssignment, "Attempted to add %d additional partition(s), but only %d assignment(s) were specified.", additional, len(assignment))
	}
	if additional > maxRecordsPerOp {
		return tooLarge()
	}
	rf := len(t.Partitions[0].Replicas)
	var parts [][]int32
	if assignment != nil {
		for i, replicas := range assignment {
			if err := validateManualAssignment(img, replicas, rf); err != nil {
				return err
			}
			if len(activeReplicas(img, replicas)) == 0 {
				return newError(kerr.InvalidReplicaAssignment, "All brokers specified in the manual partition assignment for partition %d are fenced or in controlled shutdown.", int(have)+i)
			}
			parts = append(parts, slices.Clone(replicas))
		}
	} else {
		parts, err = placeReplicas(c.rnd, placementBrokers(img), additional, rf)
		if err != nil {
			return newError(kerr.InvalidReplicationFactor, "%v", err)
		}
	}
	records := make([]Record, 0, len(parts))
	for i, replicas := range parts {
		isr := activeReplicas(img, replicas)
		if len(isr) == 0 {
			return newError(kerr.InvalidReplicationFactor, "Unable to replicate the partition %d time(s): All brokers are currently fenced or in controlled shutdown.", rf)
		}
		records = append(records, PartitionRecord{TopicID: t.ID, Partition: have + int32(i), Replicas: replicas, ISR: isr, Leader: isr[0]})
	}
	if validateOnly {
		return nil
	}
	_, err = c.propose(ctx, records)
	return err
}

// AllocateProducerIDs hands broker brokerID the next block of producer ids
// (AllocateProducerIds, KIP-730). brokerEpoch must be the broker's current
// registration epoch, or -1 to skip that check.
func (c *Controller) AllocateProducerIDs(ctx context.Context, brokerID int32, brokerEpoch int64) (first int64, count int32, err error) {
	b, err := mAllocateProducerIDs.call(ctx, c, brokerEpochRequest{BrokerID: brokerID, BrokerEpoch: brokerEpoch})
	if err != nil {
		return 0, 0, err
	}
	return b.First, b.Count, nil
}

func (c *Controller) allocateProducerIDs(ctx context.Context, req brokerEpochRequest) (producerIDBlock, error) {
	first, count, err := c.allocateProducerIDsLocal(ctx, req.BrokerID, req.BrokerEpoch)
	return producerIDBlock{First: first, Count: count}, err
}

func (c *Controller) allocateProducerIDsLocal(ctx context.Context, brokerID int32, brokerEpoch int64) (first int64, count int32, err error) {
	img, err := c.begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer c.end()
	if err := checkBrokerEpoch(img, brokerID, brokerEpoch); err != nil {
		return 0, 0, err
	}
	first = img.NextProducerID
	if first > (1<<63-1)-producerIDBlockSize {
		return 0, 0, newError(kerr.UnknownServerError, "Exhausted all producerIds as the next block's end producerId has exceeded the int64 type limit")
	}
	epoch := brokerEpoch
	if epoch < 0 {
		epoch = img.Brokers[brokerID].Epoch
	}
	if _, err := c.propose(ctx, []Record{ProducerIDsRecord{BrokerID: brokerID, BrokerEpoch: epoch, NextProducerID: first + producerIDBlockSize}}); err != nil {
		return 0, 0, err
	}
	return first, producerIDBlockSize, nil
}

// UpdateFeatures sets finalized feature levels; level 0 removes a feature.
func (c *Controller) UpdateFeatures(ctx context.Context, levels map[string]int16) error {
	if levels == nil {
		levels = map[string]int16{}
	}
	_, err := mUpdateFeatures.call(ctx, c, levels)
	return err
}

func (c *Controller) updateFeatures(ctx context.Context, levels map[string]int16) (struct{}, error) {
	return struct{}{}, c.updateFeaturesLocal(ctx, levels)
}

func (c *Controller) updateFeaturesLocal(ctx context.Context, levels map[string]int16) error {
	if _, err := c.begin(ctx); err != nil {
		return err
	}
	defer c.end()
	var records []Record
	for _, name := range sortedKeys(levels) {
		if name == "" || levels[name] < 0 {
			return newError(kerr.InvalidRequest, "invalid feature level %q=%d", name, levels[name])
		}
		records = append(records, FeatureLevelRecord{Name: name, Level: levels[name]})
	}
	_, err := c.propose(ctx, records)
	return err
}

// checkBrokerEpoch applies ClusterControlManager.checkBrokerEpoch; epoch -1
// only checks that the broker is registered.
func checkBrokerEpoch(img *Image, id int32, epoch int64) error {
	b := img.Brokers[id]
	if b == nil {
		return newError(kerr.StaleBrokerEpoch, "No broker registration found for broker id %d", id)
	}
	if epoch >= 0 && b.Epoch != epoch {
		return newError(kerr.StaleBrokerEpoch, "Expected broker epoch %d, but got broker epoch %d", b.Epoch, epoch)
	}
	return nil
}
