package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// caseSpec is one throughput case.
type caseSpec struct {
	Name       string `json:"name"`
	Size       int    `json:"record_bytes"`
	Acks       int    `json:"acks"`
	Codec      string `json:"compression"`
	Partitions int32  `json:"partitions"`
	Records    int    `json:"records"`
}

// throughputCases: 100 B and 1 KiB records, acks=1 and acks=all, no, lz4
// and zstd compression, on 6 partitions; then 100 B acks=all uncompressed
// on 1 and 64 partitions.
func throughputCases(small, large int) []caseSpec {
	var cs []caseSpec
	add := func(size, acks int, codec string, parts int32) {
		n := small
		if size > 100 {
			n = large
		}
		a := "all"
		if acks == 1 {
			a = "1"
		}
		sz := "100B"
		if size > 100 {
			sz = "1KiB"
		}
		cs = append(cs, caseSpec{
			Name: fmt.Sprintf("%s acks=%s %s p%d", sz, a, codec, parts),
			Size: size, Acks: acks, Codec: codec, Partitions: parts, Records: n,
		})
	}
	for _, size := range []int{100, 1024} {
		for _, acks := range []int{1, -1} {
			for _, codec := range []string{"none", "lz4", "zstd"} {
				add(size, acks, codec, 6)
			}
		}
	}
	add(100, -1, "none", 1)
	add(100, -1, "none", 64)
	return cs
}

// e2ePartitions are the partition counts of the end-to-end latency runs.
var e2ePartitions = [...]int32{1, 6, 64}

// runResult is one throughput run on one broker.
type runResult struct {
	Broker string `json:"broker"`
	Round  int    `json:"round"`
	Err    string `json:"error,omitempty"`

	CreateMs     float64 `json:"create_topic_ms"`
	TopicReadyMs float64 `json:"topic_ready_ms"`
	// FirstProduceMs, for cluster runs, is how long the new topic took to
	// take one acks=all record on every partition, before the clock starts.
	FirstProduceMs float64 `json:"first_acks_all_produce_ms,omitempty"`

	ProduceSec       float64 `json:"produce_s"`
	ProduceRecPerSec float64 `json:"produce_records_s"`
	ProduceMBps      float64 `json:"produce_mb_s"`
	ConsumeSec       float64 `json:"consume_s"`
	ConsumeRecPerSec float64 `json:"consume_records_s"`
	ConsumeMBps      float64 `json:"consume_mb_s"`

	// Broker CPU during produce, during consume, and per million records
	// produced and consumed.
	BrokerCPUProduceSec float64 `json:"broker_cpu_produce_s"`
	BrokerCPUConsumeSec float64 `json:"broker_cpu_consume_s"`
	BrokerCPUSecPerM    float64 `json:"broker_cpu_s_per_million"`
	// ClientCPUSec is this process's CPU over the same window: client and
	// broker share the machine's cores.
	ClientCPUSec float64 `json:"client_cpu_s"`
	BrokerRSS    int64   `json:"broker_rss_bytes"`
	// DataBytes is the disk space of the topic's partition directories
	// after the produce: the records on disk, with indexes.
	DataBytes      int64  `json:"data_bytes"`
	ProduceProfile string `json:"cpu_profile_produce,omitempty"`
	ConsumeProfile string `json:"cpu_profile_consume,omitempty"`
}

// e2eResult is one end-to-end latency run on one broker.
type e2eResult struct {
	Broker       string  `json:"broker"`
	Round        int     `json:"round"`
	Err          string  `json:"error,omitempty"`
	Samples      int     `json:"samples"`
	Missing      int     `json:"missing"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	P999Ms       float64 `json:"p99_9_ms"`
	MaxMs        float64 `json:"max_ms"`
	BrokerCPUSec float64 `json:"broker_cpu_s"`
	Profile      string  `json:"cpu_profile,omitempty"`
}

type caseResult struct {
	Case caseSpec    `json:"case"`
	Runs []runResult `json:"runs"`
}

type e2eCase struct {
	Name       string      `json:"name"`
	Partitions int32       `json:"partitions"`
	Rate       int         `json:"rate_per_s"`
	Runs       []e2eResult `json:"runs"`
}

type brokerInfo struct {
	Name      string    `json:"name"`
	Bin       string    `json:"binary"`
	Storage   string    `json:"storage"`
	ReadyMs   []float64 `json:"ready_ms"`
	IdleRSS   int64     `json:"idle_rss_bytes"`
	FinalRSS  int64     `json:"final_rss_bytes"`
	PeakRSS   int64     `json:"peak_rss_bytes"`
	StartErrs []string  `json:"start_errors,omitempty"`
}

type hostInfo struct {
	CPUs         int    `json:"cpus"`
	Kernel       string `json:"kernel"`
	GoVersion    string `json:"go_version"`
	Commit       string `json:"commit"`
	LoadAvgStart string `json:"loadavg_start"`
	LoadAvgEnd   string `json:"loadavg_end"`
}

// results is everything one run of the suite measured.
type results struct {
	Started time.Time    `json:"started"`
	Seconds float64      `json:"seconds"`
	Host    hostInfo     `json:"host"`
	Config  *config      `json:"config"`
	Limits  *limits      `json:"limits"`
	Brokers []brokerInfo `json:"brokers"`
	Cases   []caseResult `json:"throughput"`
	E2E     []e2eCase    `json:"end_to_end"`
	Topics  topicFigures `json:"topic_creation"`
	Tools   []toolStart  `json:"tool_start,omitempty"`
	// ToolCreate is kafka-topics --create against each running broker.
	ToolCreate []toolCreate    `json:"tool_create,omitempty"`
	Cluster3   *clusterFigures `json:"three_node_cluster,omitempty"`
	Scale      *scaleFigures   `json:"scaling,omitempty"`
	Rows       []row           `json:"summary"`
	Targets    []targetRow     `json:"targets"`
	Errors     []string        `json:"errors,omitempty"`
}

// topicFigures are the CreateTopics timings of every run, per broker.
type topicFigures struct {
	CreateMs map[string][]float64 `json:"create_ms"`
	ReadyMs  map[string][]float64 `json:"ready_ms"`
}

// suite runs everything. It returns the results gathered so far even when
// it stops on an error.
func suite(ctx context.Context, c *config, logger *slog.Logger) (res *results, err error) {
	res = &results{Started: time.Now().UTC(), Config: c,
		Topics: topicFigures{CreateMs: map[string][]float64{}, ReadyMs: map[string][]float64{}}}
	res.Host = host()
	defer func() {
		res.Seconds = time.Since(res.Started).Seconds()
		res.Host.LoadAvgEnd = loadAvg()
		res.Rows = summarise(res)
		res.Targets = evaluateTargets(res)
	}()

	root := c.dataDir
	if root == "" {
		if root, err = os.MkdirTemp("", "kafkakit-bench-"); err != nil {
			return res, err
		}
	} else if err = os.MkdirAll(root, 0o755); err != nil {
		return res, err
	}
	if !c.keep {
		defer os.RemoveAll(root)
	} else {
		logger.Info("keeping broker data", "dir", root)
	}
	if c.profileDir != "" {
		if err = os.MkdirAll(c.profileDir, 0o755); err != nil {
			return res, err
		}
	}

	logger.Info("measuring physical limits", "dir", root, "write_bytes", c.LimitBytes)
	if res.Limits, err = measureLimits(ctx, root, c.LimitBytes, time.Duration(c.LimitProbe*float64(time.Second))); err != nil {
		return res, err
	}

	if c.toolsDir != "" {
		logger.Info("measuring tool start-up", "dir", c.toolsDir, "runs", c.ToolRuns)
		if res.Tools, err = measureToolStarts(c.toolsDir, c.ToolRuns); err != nil {
			return res, fmt.Errorf("tool start-up: %w", err)
		}
	}

	ours, kfake, err := specs(c)
	if err != nil {
		return res, err
	}
	specs := []*brokerSpec{ours, kfake}
	res.Brokers = []brokerInfo{
		{Name: ours.Name, Bin: ours.Bin, Storage: "Kafka log format under log.dirs"},
		{Name: kfake.Name, Bin: kfake.Bin, Storage: "kfake.DataDir segment files"},
	}
	info := func(name string) *brokerInfo {
		for i := range res.Brokers {
			if res.Brokers[i].Name == name {
				return &res.Brokers[i]
			}
		}
		panic("unknown broker " + name)
	}

	// Ready time: cold starts in empty directories, alternating brokers.
	for i := range c.ReadyStarts {
		for j := range specs {
			s := specs[(i+j)%2]
			dir := filepath.Join(root, fmt.Sprintf("ready-%s-%d", s.Name, i))
			b, err := startBroker(ctx, s, dir)
			if err != nil {
				return res, fmt.Errorf("ready time: %w", err)
			}
			info(s.Name).ReadyMs = append(info(s.Name).ReadyMs, ms(b.Ready))
			if err := b.Stop(); err != nil {
				info(s.Name).StartErrs = append(info(s.Name).StartErrs, err.Error())
			}
			_ = os.RemoveAll(dir)
		}
	}
	logger.Info("ready time", "ours_ms", info("ours").ReadyMs, "kfake_ms", info("kfake").ReadyMs)

	// The brokers that carry the load.
	running := map[string]*broker{}
	admins := map[string]*admin{}
	defer func() {
		for name, b := range running {
			if a := admins[name]; a != nil {
				a.Close()
			}
			if rss, peak, err := b.Mem(); err == nil {
				info(name).FinalRSS, info(name).PeakRSS = rss, peak
			}
			if serr := b.Stop(); serr != nil {
				res.Errors = append(res.Errors, serr.Error())
			}
		}
	}()
	for _, s := range specs {
		b, err := startBroker(ctx, s, filepath.Join(root, s.Name))
		if err != nil {
			return res, err
		}
		running[s.Name] = b
		a, err := newAdmin(b.Addr)
		if err != nil {
			return res, err
		}
		admins[s.Name] = a
		if err := a.cl.Ping(ctx); err != nil {
			return res, fmt.Errorf("%s: ping: %w", s.Name, err)
		}
		if rss, _, err := b.Mem(); err == nil {
			info(s.Name).IdleRSS = rss
		}
		logger.Info("broker up", "broker", s.Name, "addr", b.Addr, "pid", b.Pid(), "ready", b.Ready)
	}

	if c.toolsDir != "" && c.wants("kafka-topics create") {
		logger.Info("measuring kafka-topics --create", "runs", c.ToolRuns)
		tc, err := measureTopicCreates(ctx, c.toolsDir, c.ToolRuns,
			[]*broker{running[ours.Name], running[kfake.Name]}, []*admin{admins[ours.Name], admins[kfake.Name]})
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			logger.Error("kafka-topics --create", "err", err)
		}
		res.ToolCreate = tc
	}

	p := newPayload(42)
	prof := &profiler{dir: c.profileDir}
	cases := throughputCases(c.SmallRecords, c.LargeRecords)
	for _, cs := range cases {
		if c.wants(cs.Name) {
			res.Cases = append(res.Cases, caseResult{Case: cs})
		}
	}
	for _, parts := range e2ePartitions {
		name := fmt.Sprintf("e2e p%d", parts)
		if c.wants(name) {
			res.E2E = append(res.E2E, e2eCase{Name: name, Partitions: parts, Rate: c.E2ERate})
		}
	}

	for round := range c.Rounds {
		for ci := range res.Cases {
			cr := &res.Cases[ci]
			for j := range specs {
				s := specs[(round+ci+j)%2]
				if err := ctx.Err(); err != nil {
					return res, err
				}
				r := runThroughput(ctx, running[s.Name], admins[s.Name], cr.Case, round, p, prof)
				cr.Runs = append(cr.Runs, r)
				if r.Err != "" {
					res.Errors = append(res.Errors, fmt.Sprintf("%s %s round %d: %s", s.Name, cr.Case.Name, round, r.Err))
					logger.Error("run failed", "broker", s.Name, "case", cr.Case.Name, "round", round, "err", r.Err)
					continue
				}
				res.Topics.CreateMs[s.Name] = append(res.Topics.CreateMs[s.Name], r.CreateMs)
				res.Topics.ReadyMs[s.Name] = append(res.Topics.ReadyMs[s.Name], r.TopicReadyMs)
				logger.Info("run", "case", cr.Case.Name, "broker", s.Name, "round", round,
					"produce_rec_s", int(r.ProduceRecPerSec), "produce_mb_s", round1(r.ProduceMBps),
					"consume_rec_s", int(r.ConsumeRecPerSec), "cpu_s_per_m", round2(r.BrokerCPUSecPerM),
					"client_cpu_s", round2(r.ClientCPUSec))
			}
		}
		for ei := range res.E2E {
			ec := &res.E2E[ei]
			for j := range specs {
				s := specs[(round+ei+j)%2]
				if err := ctx.Err(); err != nil {
					return res, err
				}
				r := runE2E(ctx, running[s.Name], admins[s.Name], ec, round, c, p, prof)
				ec.Runs = append(ec.Runs, r)
				if r.Err != "" {
					res.Errors = append(res.Errors, fmt.Sprintf("%s %s round %d: %s", s.Name, ec.Name, round, r.Err))
					logger.Error("run failed", "broker", s.Name, "case", ec.Name, "round", round, "err", r.Err)
					continue
				}
				logger.Info("run", "case", ec.Name, "broker", s.Name, "round", round,
					"p50_ms", round2(r.P50Ms), "p99_ms", round2(r.P99Ms), "p99.9_ms", round2(r.P999Ms), "missing", r.Missing)
			}
		}
	}
	if c.wants("cluster 100B p6") || c.wants("cluster 1KiB p6") {
		logger.Info("3-node cluster")
		res.Cluster3 = runThreeNodeCluster(ctx, c, logger, running[ours.Name], admins[ours.Name], root, p)
		for _, r := range res.Cluster3.Runs {
			if r.Three.Err != "" || r.One.Err != "" {
				res.Errors = append(res.Errors, fmt.Sprintf("cluster %s round %d: %s", r.Case.Name, r.Round, r.Three.Err+r.One.Err))
			}
		}
		if res.Cluster3.Skipped != "" {
			res.Errors = append(res.Errors, "3-node cluster: "+res.Cluster3.Skipped)
		}
	}
	if c.wants("scale partitions") || c.wants("scale connections") {
		logger.Info("scaling: partitions and idle connections")
		res.Scale = runScaling(ctx, c, logger, root)
		res.Errors = append(res.Errors, res.Scale.Errors...)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if len(res.Errors) > 0 {
		return res, fmt.Errorf("%d runs failed; first: %s", len(res.Errors), res.Errors[0])
	}
	return res, nil
}

// specs returns how to start each broker. With -profile both serve
// bench/profhttp; kafka-server then runs as bench/profserver, which wraps the
// same internal/broker in a process that can profile itself.
func specs(c *config) (ours, kfake *brokerSpec, err error) {
	oursBin, oursPprof, kfakePprof := c.serverBin, "", ""
	if c.profileDir != "" {
		if c.profBin == "" {
			return nil, nil, errors.New("-profile needs -profserver (the kafka-server variant that can profile itself)")
		}
		oursBin = c.profBin
		p1, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		p2, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		oursPprof, kfakePprof = fmt.Sprintf("127.0.0.1:%d", p1), fmt.Sprintf("127.0.0.1:%d", p2)
	}
	kfake = kfakeSpec(c.kfakeBin, 6, c.Fsync, kfakePprof)
	if c.refServer != "" {
		kfake = oursSpec(c.refServer, 6, c.Fsync, "")
		kfake.Name = "kfake"
	}
	return oursSpec(oursBin, 6, c.Fsync, oursPprof), kfake, nil
}

// runThroughput creates a topic, produces the case's records, consumes
// them back and deletes the topic.
func runThroughput(ctx context.Context, b *broker, a *admin, cs caseSpec, round int, p payload, prof *profiler) runResult {
	r := runResult{Broker: b.Spec.Name, Round: round}
	fail := func(err error) runResult { r.Err = err.Error(); return r }
	topic := topicName(cs.Name, b.Spec.Name, round)
	created, ready, err := a.createTopic(ctx, topic, cs.Partitions)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := a.deleteTopic(ctx, topic); err != nil && r.Err == "" {
			r.Err = err.Error()
		}
	}()
	r.CreateMs, r.TopicReadyMs = ms(created), ms(ready)

	if err := prof.start(b, topic+"-produce"); err != nil {
		return fail(err)
	}
	cpu0, err := b.CPU()
	if err != nil {
		return fail(err)
	}
	cl0 := selfCPU()
	pd, err := produce(ctx, b.Addr, topic, cs.Records, cs.Size, cs.Acks, cs.Codec, p)
	if err != nil {
		_, _ = prof.stop(b)
		return fail(fmt.Errorf("produce: %w", err))
	}
	cpu1, err := b.CPU()
	if err != nil {
		return fail(err)
	}
	if r.ProduceProfile, err = prof.stop(b); err != nil {
		return fail(err)
	}
	r.DataBytes = topicBytes(b.Dir, topic)
	if err := prof.start(b, topic+"-consume"); err != nil {
		return fail(err)
	}
	cpu1, err = b.CPU()
	if err != nil {
		return fail(err)
	}
	cd, err := consume(ctx, b.Addr, topic, cs.Records)
	if err != nil {
		_, _ = prof.stop(b)
		return fail(fmt.Errorf("consume: %w", err))
	}
	cpu2, err := b.CPU()
	if err != nil {
		return fail(err)
	}
	cl1 := selfCPU()
	if r.ConsumeProfile, err = prof.stop(b); err != nil {
		return fail(err)
	}
	n := float64(cs.Records)
	bytes := n * float64(cs.Size)
	r.ProduceSec, r.ConsumeSec = pd.Seconds(), cd.Seconds()
	r.ProduceRecPerSec, r.ProduceMBps = n/pd.Seconds(), bytes/pd.Seconds()/1e6
	r.ConsumeRecPerSec, r.ConsumeMBps = n/cd.Seconds(), bytes/cd.Seconds()/1e6
	r.BrokerCPUProduceSec = (cpu1 - cpu0).Seconds()
	r.BrokerCPUConsumeSec = (cpu2 - cpu1).Seconds()
	r.BrokerCPUSecPerM = (cpu2 - cpu0).Seconds() / n * 1e6
	r.ClientCPUSec = (cl1 - cl0).Seconds()
	if rss, _, err := b.Mem(); err == nil {
		r.BrokerRSS = rss
	}
	return r
}

// runE2E measures end-to-end latency on a fresh topic.
func runE2E(ctx context.Context, b *broker, a *admin, ec *e2eCase, round int, c *config, p payload, prof *profiler) e2eResult {
	r := e2eResult{Broker: b.Spec.Name, Round: round}
	topic := topicName(ec.Name, b.Spec.Name, round)
	if _, _, err := a.createTopic(ctx, topic, ec.Partitions); err != nil {
		r.Err = err.Error()
		return r
	}
	defer func() {
		if err := a.deleteTopic(ctx, topic); err != nil && r.Err == "" {
			r.Err = err.Error()
		}
	}()
	if err := prof.start(b, topic); err != nil {
		r.Err = err.Error()
		return r
	}
	cpu0, _ := b.CPU()
	l, err := endToEnd(ctx, b.Addr, topic, ec.Rate, secs(c.E2EWarm), secs(c.E2ESeconds), p)
	if err != nil {
		_, _ = prof.stop(b)
		r.Err = err.Error()
		return r
	}
	cpu1, _ := b.CPU()
	if r.Profile, err = prof.stop(b); err != nil {
		r.Err = err.Error()
		return r
	}
	r.BrokerCPUSec = (cpu1 - cpu0).Seconds()
	r.Samples, r.Missing = len(l.Samples), l.Missing
	if r.Missing > 0 {
		r.Err = fmt.Sprintf("%d records never arrived", r.Missing)
	}
	sortDurations(l.Samples)
	r.P50Ms = ms(percentile(l.Samples, 0.50))
	r.P99Ms = ms(percentile(l.Samples, 0.99))
	r.P999Ms = ms(percentile(l.Samples, 0.999))
	if len(l.Samples) > 0 {
		r.MaxMs = ms(l.Samples[len(l.Samples)-1])
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func host() hostInfo {
	h := hostInfo{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadAvgStart: loadAvg()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		h.Commit = strings.TrimSpace(string(out))
	}
	return h
}

// loadAvg is the first three fields of /proc/loadavg: other work on a
// shared machine shows there.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
