package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/replica"
)

// Incremental fetch sessions (KIP-227).
//
// A fetch with SessionEpoch 0 is a full request that opens a session: the
// broker remembers the partitions and answers with a new SessionID. Later
// fetches carry that id and the next epoch and list only the partitions
// that changed (plus ForgottenTopics to drop); the broker answers with only
// the partitions that have something new: records, a moved high watermark,
// last stable offset or log start offset, or an error. SessionEpoch -1 is a
// sessionless full fetch (and closes the named session). Unknown ids get
// FETCH_SESSION_ID_NOT_FOUND, a wrong epoch INVALID_FETCH_SESSION_EPOCH;
// clients then fall back to a full fetch.

const (
	fetchSessionFinalEpoch   = -1
	fetchSessionInitialEpoch = 0
	maxFetchSessions         = 1000 // max.incremental.fetch.session.cache.slots
)

// fetchKey names a partition in a session. Requests v13+ name topics by id;
// older ones by name. Both are kept so responses can echo either.
type fetchKey struct {
	TopicID   [16]byte
	Topic     string
	Partition int32
}

// sessionPartition is what a session remembers of one partition: what the
// client asked for last and what we last told it.
type sessionPartition struct {
	key                fetchKey
	fetchOffset        int64
	logStartOffset     int64 // the follower's, for replica fetches
	maxBytes           int32
	currentLeaderEpoch int32
	lastFetchedEpoch   int32

	sentHW, sentLSO, sentLogStart int64
	// part is the hosted partition, looked up once per session rather than
	// on every request (see Server.hostedPartition).
	part atomic.Pointer[replica.Partition]
	// idle is the last answer to a consumer if it was empty (caughtUp set),
	// and idleFor what was asked: while the consumer asks the same and the
	// partition has not changed, the answer holds without reading the log
	// again.
	idle    fetchOut
	idleFor idleRead
}

// idleRead is what a consumer asked of a partition when it got nothing.
type idleRead struct {
	committed              bool
	offset                 int64
	leaderEpoch, lastEpoch int32
}

// keepIdle remembers o, a consumer's answer, if it was empty because the
// consumer is at the end of the log, and forgets any older one otherwise.
func (sp *sessionPartition) keepIdle(o fetchOut, committed bool) {
	if !o.caughtUp {
		sp.idle = fetchOut{}
		return
	}
	sp.idle = o
	sp.idleFor = idleRead{committed: committed, offset: sp.fetchOffset,
		leaderEpoch: sp.currentLeaderEpoch, lastEpoch: sp.lastFetchedEpoch}
}

// idleHolds reports whether the kept empty answer still holds for a
// consumer's read of sp (unchanged is false when none is kept).
func (sp *sessionPartition) idleHolds(committed bool) bool {
	f := sp.idleFor
	return f.committed == committed && f.offset == sp.fetchOffset &&
		f.leaderEpoch == sp.currentLeaderEpoch && f.lastEpoch == sp.lastFetchedEpoch && sp.idle.unchanged()
}

type fetchSession struct {
	id      int32
	epoch   int32 // the epoch the next request must carry
	parts   map[fetchKey]*sessionPartition
	order   []fetchKey // insertion order, so responses are stable
	used    time.Time
	replica bool
	// busy is held by the request serving the session. A client that
	// sends the next epoch before the previous request is answered (on
	// another connection) is served without the kept empty answers, which
	// only one request at a time may use.
	busy atomic.Bool
}

// fetchSessions is the broker's session cache. Sessions are evicted least
// recently used first when the cache is full.
type fetchSessions struct {
	mu       sync.Mutex
	sessions map[int32]*fetchSession
	nextID   int32
}

func newFetchSessions() *fetchSessions {
	return &fetchSessions{sessions: make(map[int32]*fetchSession), nextID: 1}
}

// fetchPart is one partition of a fetch request, normalised across versions.
type fetchPart struct {
	key                fetchKey
	fetchOffset        int64
	logStartOffset     int64
	maxBytes           int32
	currentLeaderEpoch int32
	lastFetchedEpoch   int32
}

// sessionResult is how a request relates to the cache.
type sessionResult struct {
	err     int16 // session-level error code, 0 if fine
	session *fetchSession
	full    bool // every partition must be in the response
	// parts are the partitions to serve in this request, in order.
	parts []*sessionPartition
	newID int32 // session id to return in the response
}

// begin resolves a request against the cache. For incremental requests it
// applies the changed and forgotten partitions to the session. The
// partitions to serve are appended to dst.
func (c *fetchSessions) begin(id, epoch int32, reqParts []fetchPart, forgotten []fetchKey, replica bool, now time.Time, dst []*sessionPartition) sessionResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch epoch {
	case fetchSessionFinalEpoch, fetchSessionInitialEpoch:
		if id != 0 {
			delete(c.sessions, id)
		}
		res := sessionResult{full: true, parts: dst}
		s := &fetchSession{parts: make(map[fetchKey]*sessionPartition, len(reqParts)), replica: replica}
		for _, p := range reqParts {
			sp := s.upsert(p)
			res.parts = append(res.parts, sp)
		}
		if epoch == fetchSessionInitialEpoch && len(reqParts) > 0 && c.makeRoom(now) {
			s.id = c.allocID()
			s.epoch = 1
			s.used = now
			c.sessions[s.id] = s
			res.session = s
			res.newID = s.id
		}
		return res
	}
	s, ok := c.sessions[id]
	if !ok {
		return sessionResult{err: kerr.FetchSessionIDNotFound.Code}
	}
	if s.epoch != epoch {
		return sessionResult{err: kerr.InvalidFetchSessionEpoch.Code}
	}
	for _, k := range forgotten {
		s.forget(k)
	}
	for _, p := range reqParts {
		s.upsert(p)
	}
	s.epoch++
	if s.epoch < 0 {
		s.epoch = 1
	}
	s.used = now
	res := sessionResult{session: s, newID: s.id, parts: dst}
	for _, k := range s.order {
		res.parts = append(res.parts, s.parts[k])
	}
	return res
}

func (c *fetchSessions) allocID() int32 {
	for {
		id := c.nextID
		c.nextID++
		if c.nextID <= 0 {
			c.nextID = 1
		}
		if _, taken := c.sessions[id]; !taken {
			return id
		}
	}
}

// makeRoom evicts the least recently used session if the cache is full.
func (c *fetchSessions) makeRoom(now time.Time) bool {
	if len(c.sessions) < maxFetchSessions {
		return true
	}
	var oldest *fetchSession
	for _, s := range c.sessions {
		if oldest == nil || s.used.Before(oldest.used) {
			oldest = s
		}
	}
	if oldest != nil && now.Sub(oldest.used) > 0 {
		delete(c.sessions, oldest.id)
		return true
	}
	return false
}

func (s *fetchSession) upsert(p fetchPart) *sessionPartition {
	sp, ok := s.parts[p.key]
	if !ok {
		sp = &sessionPartition{key: p.key, sentHW: -1, sentLSO: -1, sentLogStart: -1}
		s.parts[p.key] = sp
		s.order = append(s.order, p.key)
	}
	sp.fetchOffset = p.fetchOffset
	sp.logStartOffset = p.logStartOffset
	sp.maxBytes = p.maxBytes
	sp.currentLeaderEpoch = p.currentLeaderEpoch
	sp.lastFetchedEpoch = p.lastFetchedEpoch
	return sp
}

func (s *fetchSession) forget(k fetchKey) {
	if _, ok := s.parts[k]; !ok {
		return
	}
	delete(s.parts, k)
	for i, o := range s.order {
		if o == k {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// include decides whether an incremental response carries this partition,
// and records what is being sent. Full responses include everything.
// The fetch offset is not advanced here: a client whose position moves
// lists the partition again with its new offset (KIP-227).
func (sp *sessionPartition) include(full bool, hasRecords bool, hw, lso, logStart int64, errCode int16) bool {
	send := full || hasRecords || errCode != 0 || hw != sp.sentHW || lso != sp.sentLSO || logStart != sp.sentLogStart
	sp.sentHW, sp.sentLSO, sp.sentLogStart = hw, lso, logStart
	return send
}
