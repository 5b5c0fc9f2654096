package server

// Client quota enforcement (KIP-13, KIP-124, KIP-219).
//
// Quotas set with kafka-configs (producer_byte_rate, consumer_byte_rate,
// request_percentage) are looked up for a request's (user, client id) with
// Kafka's precedence (KIP-55): user+client, user+default client, user,
// default user+client, default user+default client, default user, client,
// default client. Without authentication the user is Kafka's ANONYMOUS
// principal. Usage is measured over quota.window.num windows of
// quota.window.size.seconds (11 × 1 s); when a client is over its quota the
// response is sent at once with its throttle time set, and the connection is
// muted (no further request is read) until that time has passed, as Kafka
// brokers do since 2.0. Clients that understand KIP-219 also back off by
// themselves.

import (
	"math"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

const (
	quotaProduce = "producer_byte_rate"
	quotaFetch   = "consumer_byte_rate"
	quotaRequest = "request_percentage"

	quotaWindows    = 11
	quotaWindowSize = time.Second
	anonymousUser   = "ANONYMOUS"
)

// quotas measures usage per quota entity and key.
type quotas struct {
	mu      sync.Mutex
	sensors map[sensorKey]*rateSensor
}

type sensorKey struct {
	entity metadata.QuotaEntity
	key    string
}

// rateSensor keeps usage in fixed windows of quotaWindowSize.
type rateSensor struct {
	start   [quotaWindows]time.Time
	amounts [quotaWindows]float64
	cur     int
	used    time.Time
}

func newQuotas() *quotas { return &quotas{sensors: map[sensorKey]*rateSensor{}} }

// record adds amount to the sensor and returns the current rate per second.
func (r *rateSensor) record(now time.Time, amount float64) float64 {
	if r.start[r.cur].IsZero() || now.Sub(r.start[r.cur]) >= quotaWindowSize {
		r.cur = (r.cur + 1) % quotaWindows
		r.start[r.cur] = now
		r.amounts[r.cur] = 0
	}
	r.amounts[r.cur] += amount
	r.used = now
	oldest := now
	total := 0.0
	for i := range r.amounts {
		if r.start[i].IsZero() || now.Sub(r.start[i]) > quotaWindows*quotaWindowSize {
			continue
		}
		total += r.amounts[i]
		if r.start[i].Before(oldest) {
			oldest = r.start[i]
		}
	}
	// As Kafka's Rate, the elapsed time is at least all windows but one, so
	// a burst right after start is not measured over a tiny interval.
	elapsed := max(now.Sub(oldest), (quotaWindows-1)*quotaWindowSize)
	return total / elapsed.Seconds()
}

// resolveQuota finds the quota entity that applies to (user, client id) for
// a quota key, with Kafka's precedence, and its bound.
func resolveQuota(img *metadata.Image, user, clientID, key string) (metadata.QuotaEntity, float64, bool) {
	named := func(n string) metadata.EntityName { return metadata.EntityName{Present: true, Name: n} }
	def := metadata.EntityName{Present: true, Default: true}
	none := metadata.EntityName{}
	candidates := []metadata.QuotaEntity{
		{User: named(user), ClientID: named(clientID)},
		{User: named(user), ClientID: def},
		{User: named(user), ClientID: none},
		{User: def, ClientID: named(clientID)},
		{User: def, ClientID: def},
		{User: def, ClientID: none},
		{User: none, ClientID: named(clientID)},
		{User: none, ClientID: def},
	}
	for _, e := range candidates {
		if v, ok := img.ClientQuotas[e][key]; ok {
			// The usage of a default entity is tracked per actual user and
			// client, as Kafka's sanitized entity tags do.
			if e.User.Default {
				e.User = named(user)
			}
			if e.ClientID.Default {
				e.ClientID = named(clientID)
			}
			return e, v, true
		}
	}
	return metadata.QuotaEntity{}, 0, false
}

// charge records usage of a quota key by a client and returns the throttle
// time it has earned (0 when within its quota or without one).
func (s *Server) charge(clientID, key string, amount float64, now time.Time) time.Duration {
	if s.cfg.Meta == nil {
		return 0
	}
	img := s.cfg.Meta.Image()
	if len(img.ClientQuotas) == 0 {
		return 0
	}
	entity, bound, ok := resolveQuota(img, anonymousUser, clientID, key)
	if !ok || bound <= 0 {
		return 0
	}
	s.quotas.mu.Lock()
	defer s.quotas.mu.Unlock()
	k := sensorKey{entity, key}
	sensor := s.quotas.sensors[k]
	if sensor == nil {
		sensor = &rateSensor{}
		s.quotas.sensors[k] = sensor
		if len(s.quotas.sensors) > 10000 {
			s.quotas.expire(now)
		}
	}
	rate := sensor.record(now, amount)
	if rate <= bound {
		return 0
	}
	// Kafka's throttle time: how long until the rate over the whole
	// measured interval is back within the bound.
	window := float64(quotaWindows * quotaWindowSize)
	d := time.Duration((rate - bound) / bound * window)
	return min(d, quotaWindows*quotaWindowSize)
}

// expire drops sensors idle for longer than the measured interval.
func (q *quotas) expire(now time.Time) {
	for k, s := range q.sensors {
		if now.Sub(s.used) > 2*quotaWindows*quotaWindowSize {
			delete(q.sensors, k)
		}
	}
}

// throttle applies the quotas to a handled request: produce bytes before
// handling have been charged by the caller; here the response size (fetch)
// and the handling time are charged, the response carries the throttle
// time and the connection is muted for it.
func (s *Server) throttle(c *conn, r *request, resp kmsg.Response, handled time.Duration, produceThrottle time.Duration) {
	now := time.Now()
	throttle := produceThrottle
	if f, ok := resp.(*kmsg.FetchResponse); ok {
		n := 0
		for _, t := range f.Topics {
			for _, p := range t.Partitions {
				n += len(p.RecordBatches)
			}
		}
		n += c.regionBytes() // regions are placeholders until sent
		if n > 0 {
			throttle = max(throttle, s.charge(r.clientID, quotaFetch, float64(n), now))
		}
	}
	// request_percentage is a share of one request thread's time: 100 means
	// one thread busy all the time.
	throttle = max(throttle, s.charge(r.clientID, quotaRequest, handled.Seconds()*100, now))
	if throttle <= 0 {
		return
	}
	ms := int32(min(throttle.Milliseconds(), math.MaxInt32))
	if resp != nil {
		if st, ok := resp.(kmsg.SetThrottleResponse); ok {
			st.SetThrottle(ms)
		}
	}
	c.muteUntil.Store(now.Add(throttle).UnixNano())
}
