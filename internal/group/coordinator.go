package group

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Coordinator is the group coordinator of one broker. It serves the groups of
// the __consumer_offsets partitions it has loaded. Its methods are safe for
// concurrent use.
type Coordinator struct {
	cfg Config
	st  Storage
	log *slog.Logger

	// ctx is cancelled by Close; the coordinator's own appends and loops use it.
	ctx    context.Context
	cancel context.CancelFunc

	// runMu and running track timer callbacks and background goroutines so
	// that Close can wait for them; closed is set once, under runMu.
	runMu   sync.Mutex
	closed  bool
	running sync.WaitGroup

	startOnce sync.Once

	mu     sync.RWMutex
	groups map[string]*group
	parts  map[int32]*partitionState
	epoch  uint64 // last epoch handed to a Load
}

// partitionState is this coordinator's view of one __consumer_offsets
// partition: loading (COORDINATOR_LOAD_IN_PROGRESS) or owned.
type partitionState struct {
	loading bool
	epoch   uint64 // identifies the Load that created this state
}

// New returns a coordinator that owns no partitions yet; call Load for each
// __consumer_offsets partition this broker leads, and Start to run the
// background expiry.
func New(cfg Config, st Storage) *Coordinator {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Coordinator{
		cfg:    cfg,
		st:     st,
		log:    cfg.Logger,
		ctx:    ctx,
		cancel: cancel,
		groups: make(map[string]*group),
		parts:  make(map[int32]*partitionState),
	}
}

// Start runs the periodic cleanup (expired offsets, empty groups without
// offsets) every RetentionCheckInterval, first right away, until ctx ends or
// Close is called. Calls after the first do nothing.
func (c *Coordinator) Start(ctx context.Context) {
	c.startOnce.Do(func() {
		c.goTracked(func() {
			t := time.NewTimer(0)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-c.ctx.Done():
					return
				case <-t.C:
				}
				c.cleanupExpired()
				t.Reset(c.cfg.RetentionCheckInterval)
			}
		})
	})
}

// Close stops the coordinator: every partition is unloaded (waiting
// JoinGroup and SyncGroup requests get NOT_COORDINATOR), later requests get
// COORDINATOR_NOT_AVAILABLE, and Close returns once every timer callback and
// background goroutine has finished.
func (c *Coordinator) Close() {
	c.runMu.Lock()
	if c.closed {
		c.runMu.Unlock()
		return
	}
	c.closed = true
	c.runMu.Unlock()
	c.cancel()

	c.mu.RLock()
	parts := make([]int32, 0, len(c.parts))
	for p := range c.parts {
		parts = append(parts, p)
	}
	c.mu.RUnlock()
	for _, p := range parts {
		c.Unload(p)
	}
	c.running.Wait()
}

// enter registers a callback or background goroutine; it is false once the
// coordinator is closed, and then the caller must not run.
func (c *Coordinator) enter() bool {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	if c.closed {
		return false
	}
	c.running.Add(1)
	return true
}

func (c *Coordinator) exit() { c.running.Done() }

func (c *Coordinator) isClosed() bool {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	return c.closed
}

// goTracked runs fn on a goroutine Close waits for; nothing runs after Close.
func (c *Coordinator) goTracked(fn func()) {
	if !c.enter() {
		return
	}
	go func() {
		defer c.exit()
		fn()
	}()
}

// afterFunc arms a timer whose callback is tracked like goTracked.
func (c *Coordinator) afterFunc(d time.Duration, fn func()) *time.Timer {
	return time.AfterFunc(d, func() {
		if !c.enter() {
			return
		}
		defer c.exit()
		fn()
	})
}

func (c *Coordinator) nowMs() int64 { return c.cfg.Now().UnixMilli() }

// PartitionFor returns the __consumer_offsets partition that holds a group:
// Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions, with Java's
// String.hashCode over the UTF-16 code units of the id, exactly as Kafka
// computes it, so that every broker and client tool agrees on the
// coordinator.
func (c *Coordinator) PartitionFor(group string) int32 {
	return partitionFor(group, c.cfg.OffsetsTopicPartitions)
}

func partitionFor(group string, partitions int32) int32 {
	h := javaStringHashCode(group)
	if h == -1<<31 { // Kafka's Utils.abs maps Integer.MIN_VALUE to 0
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}

// javaStringHashCode is java.lang.String.hashCode: s[0]*31^(n-1) + ... +
// s[n-1] over UTF-16 code units, in wrapping 32-bit arithmetic. Invalid
// UTF-8 bytes count as U+FFFD, which is what decoding them in Java gives for
// isolated bad bytes.
func javaStringHashCode(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			h = 31*h + r1
			h = 31*h + r2
			continue
		}
		h = 31*h + r
	}
	return h
}

// api identifies the request kind for group id validation.
type api int8

const (
	apiJoinGroup api = iota
	apiSyncGroup
	apiHeartbeat
	apiLeaveGroup
	apiOffsetCommit
	apiOffsetFetch
	apiDescribeGroups
	apiDeleteGroups
	apiOffsetDelete
)

// validateGroupStatusLocked is Kafka's validateGroupStatus: the id must be
// valid for the API, the coordinator open, the group's partition loaded and
// owned here. c.mu must be held (read or write).
func (c *Coordinator) validateGroupStatusLocked(groupID string, a api) int16 {
	if groupID == "" {
		// Offsets, describe and delete accept the empty group id for
		// compatibility with old clients, as Kafka does.
		switch a {
		case apiOffsetCommit, apiOffsetFetch, apiDescribeGroups, apiDeleteGroups:
		default:
			return errInvalidGroupID
		}
	}
	if c.isClosed() {
		return errCoordinatorNotAvailable
	}
	ps := c.parts[c.PartitionFor(groupID)]
	switch {
	case ps == nil:
		return errNotCoordinator
	case ps.loading:
		return errCoordinatorLoadInProgress
	}
	return errNone
}

// lookup validates the group's status and returns the group (nil if it does
// not exist), creating an Empty group when create is set.
func (c *Coordinator) lookup(groupID string, a api, create bool) (*group, int16) {
	if !create {
		c.mu.RLock()
		defer c.mu.RUnlock()
		if code := c.validateGroupStatusLocked(groupID, a); code != errNone {
			return nil, code
		}
		return c.groups[groupID], errNone
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if code := c.validateGroupStatusLocked(groupID, a); code != errNone {
		return nil, code
	}
	g := c.groups[groupID]
	if g == nil {
		// The id may alias a request buffer; the group outlives it.
		groupID = strings.Clone(groupID)
		g = newGroup(groupID, c.PartitionFor(groupID), c.nowMs())
		c.groups[groupID] = g
	}
	return g, errNone
}

// groupNotExistsCode is what DeleteGroups and OffsetDelete answer for a group
// that is missing or dead: GROUP_ID_NOT_FOUND while this coordinator owns
// the partition, NOT_COORDINATOR if it lost it meanwhile.
func (c *Coordinator) groupNotExistsCode(groupID string) int16 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ps := c.parts[c.PartitionFor(groupID)]
	if ps == nil || ps.loading {
		return errNotCoordinator
	}
	return errGroupIDNotFound
}

// removeGroup drops a dead group from the map if it is still the one there.
func (c *Coordinator) removeGroup(g *group) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups[g.id] == g {
		delete(c.groups, g.id)
	}
}

// ownedGroups returns the groups of loaded partitions, sorted by id, and
// whether some partition is still loading.
func (c *Coordinator) ownedGroups() (groups []*group, loading bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, ps := range c.parts {
		if ps.loading {
			loading = true
		}
	}
	groups = make([]*group, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].id < groups[j].id })
	return groups, loading
}

// transition moves a group to a new state, logging (never panicking on) a
// move Kafka does not allow: that would be a bug in this package.
func (c *Coordinator) transition(g *group, next groupState) {
	prev := g.state
	if !g.transition(next, c.nowMs()) {
		c.log.Error("invalid group state transition", "group", g.id, "from", prev.String(), "to", next.String())
	}
}

// versionRanges are the versions of each group API to advertise, by Kafka
// API key: Kafka 3.9's ranges. (DescribeGroups also answers v6 the Kafka 4.0
// way, but 3.9 does not advertise it.)
var versionRanges = [...]struct{ key, min, max int16 }{
	{8, 0, 9},  // OffsetCommit (v10 names topics by id)
	{9, 0, 9},  // OffsetFetch (v10 names topics by id)
	{11, 0, 9}, // JoinGroup
	{12, 0, 4}, // Heartbeat
	{13, 0, 5}, // LeaveGroup
	{14, 0, 5}, // SyncGroup
	{15, 0, 5}, // DescribeGroups
	{16, 0, 5}, // ListGroups
	{42, 0, 2}, // DeleteGroups
	{47, 0, 0}, // OffsetDelete
}

// Versions reports the versions of a group API (by Kafka API key) that the
// handlers of this package implement, for the broker's ApiVersions; ok is
// false for an API this package does not handle.
func Versions(apiKey int16) (minVersion, maxVersion int16, ok bool) {
	for _, r := range versionRanges {
		if r.key == apiKey {
			return r.min, r.max, true
		}
	}
	return 0, 0, false
}
