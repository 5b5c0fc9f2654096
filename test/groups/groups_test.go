// Package groups runs consumer-group scenarios end to end: unmodified
// clients (kafka-python, confluent-kafka on librdkafka, kafkajs, franz-go)
// join groups on a kafka-server process, and kafka-consumer-groups
// describes what they did. Members split partitions without overlap, a
// leaving member's partitions move to the others, a member beyond the
// partition count stays idle, separate groups each read everything,
// committed offsets survive a broker restart, and the lag the tool reports
// is what was produced minus what was consumed.
//
// A client that is not installed is skipped, unless
// KAFKAKIT_REQUIRE_CLIENTS=1, in which case the test fails. Python clients
// run with /usr/bin/python3; kafkajs is the install under
// test/compat/clients/node_modules. KAFKAKIT_SERVER_BIN may name a built
// kafka-server; otherwise one is built from this module.
package groups

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/consumergroups"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

var serverBin string

func TestMain(m *testing.M) {
	serverBin = os.Getenv("KAFKAKIT_SERVER_BIN")
	var dir string
	if serverBin == "" {
		var err error
		if dir, err = os.MkdirTemp("", "kafkakit-groups-bin"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if serverBin, err = testbroker.BuildServer(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func startServer(t *testing.T) *testbroker.Process {
	t.Helper()
	p, err := testbroker.StartProcess(serverBin, t.TempDir(), "offsets.topic.num.partitions=3")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

// missingClient skips the test, or fails it when every client is required.
func missingClient(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("KAFKAKIT_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("%s (KAFKAKIT_REQUIRE_CLIENTS=1)", msg)
	}
	t.Skip(msg)
}

const python = "/usr/bin/python3"

// requirePython checks that /usr/bin/python3 can import module.
func requirePython(t *testing.T, module string) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import "+module).CombinedOutput(); err != nil {
		missingClient(t, "python client %s not usable: %v %s", module, err, out)
	}
}

// requireKafkaJS returns node and the NODE_PATH holding kafkajs.
func requireKafkaJS(t *testing.T) (node, nodePath string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missingClient(t, "node not found: %v", err)
	}
	nodePath, err = filepath.Abs(filepath.Join("..", "compat", "clients", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(nodePath, "kafkajs")); err != nil {
		missingClient(t, "kafkajs not installed in %s", nodePath)
	}
	return node, nodePath
}

func kclient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func createTopic(t *testing.T, addr, topic string, partitions int32) {
	t.Helper()
	cl := kclient(t, addr)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// produce writes counts[p] records to each partition p of topic.
func produce(t *testing.T, addr, topic string, counts ...int) {
	t.Helper()
	cl := kclient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for p, n := range counts {
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: []byte(fmt.Sprintf("%d-%d", p, i))})
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// member is one group member, whatever its client.
type member interface {
	Name() string
	// Assignment is the member's latest assignment as its client reported
	// it, and whether it has reported one yet.
	Assignment() ([]int32, bool)
	// Done waits until the member has read and committed what it was told
	// to, and returns how many records it read and how many distinct ones.
	Done(t *testing.T) (count, distinct int)
	// Stop makes the member leave its group.
	Stop(t *testing.T)
}

// event is one line a client process prints.
type event struct {
	Event      string  `json:"event"`
	Name       string  `json:"name"`
	Partitions []int32 `json:"partitions"`
	Count      int     `json:"count"`
	Distinct   int     `json:"distinct"`
}

// process is a member running in another process (member.py,
// kafkajs_member.js).
type process struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	exited chan struct{}
	done   chan event

	mu       sync.Mutex
	assigned []int32
	reported bool
}

func startProcess(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, exited: make(chan struct{}), done: make(chan event, 1)}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				continue
			}
			switch e.Event {
			case "assigned":
				p.mu.Lock()
				p.assigned, p.reported = e.Partitions, true
				p.mu.Unlock()
			case "done":
				p.done <- e
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

func startPython(t *testing.T, client, addr, group, topic, name string, expect int) *process {
	t.Helper()
	args := []string{"member.py", client, addr, group, topic, name}
	if expect > 0 {
		args = append(args, strconv.Itoa(expect))
	}
	return startProcess(t, name, exec.Command(python, args...))
}

func startKafkaJS(t *testing.T, addr, group, topic, name string, expect int) *process {
	t.Helper()
	node, nodePath := requireKafkaJS(t)
	cmd := exec.Command(node, "kafkajs_member.js", addr, group, topic, name, strconv.Itoa(expect))
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	return startProcess(t, name, cmd)
}

func (p *process) Name() string { return p.name }

func (p *process) Assignment() ([]int32, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.assigned), p.reported
}

func (p *process) Done(t *testing.T) (int, int) {
	t.Helper()
	select {
	case e := <-p.done:
		return e.Count, e.Distinct
	case <-p.exited:
		t.Fatalf("%s exited early: %s", p.name, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not finish reading within 30s; stderr:\n%s", p.name, p.stderr.String())
	}
	return 0, 0
}

func (p *process) Stop(t *testing.T) {
	t.Helper()
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not leave within 20s; stderr:\n%s", p.name, p.stderr.String())
	}
}

// franz is a franz-go member in this process, with the range assignor so
// that it can share a group with the Java-protocol clients.
type franz struct {
	name   string
	cl     *kgo.Client
	cancel context.CancelFunc
	exited chan struct{}
	done   chan [2]int

	mu       sync.Mutex
	assigned []int32
	reported bool
}

func startFranz(t *testing.T, addr, group, topic, name string, expect int) *franz {
	t.Helper()
	f := &franz{name: name, exited: make(chan struct{}), done: make(chan [2]int, 1)}
	f.cl = kclient(t, addr,
		kgo.ClientID(name), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.Balancers(kgo.RangeBalancer()), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.HeartbeatInterval(250*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { f.setAssigned(m[topic]) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, _ map[string][]int32) { f.setAssigned(nil) }),
	)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		defer close(f.exited)
		seen := map[[2]int64]bool{}
		var read []*kgo.Record
		for ctx.Err() == nil {
			fetches := f.cl.PollFetches(ctx)
			for _, r := range fetches.Records() {
				seen[[2]int64{int64(r.Partition), r.Offset}] = true
				read = append(read, r)
			}
			count := len(read)
			if expect > 0 && count >= expect {
				cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
				err := f.cl.CommitRecords(cctx, read...)
				ccancel()
				if err == nil {
					f.done <- [2]int{count, len(seen)}
					expect = 0
				}
			}
		}
	}()
	t.Cleanup(func() { f.stop() })
	return f
}

func (f *franz) setAssigned(ps []int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assigned, f.reported = slices.Sorted(slices.Values(ps)), true
}

func (f *franz) Name() string { return f.name }

func (f *franz) Assignment() ([]int32, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.assigned), f.reported
}

func (f *franz) Done(t *testing.T) (int, int) {
	t.Helper()
	select {
	case d := <-f.done:
		return d[0], d[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not finish reading within 30s", f.name)
	}
	return 0, 0
}

func (f *franz) stop() {
	f.cancel()
	<-f.exited
	f.cl.Close() // leaves the group
}

func (f *franz) Stop(t *testing.T) { f.stop() }

// tool runs kafka-consumer-groups in this process and returns its stdout.
func tool(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := consumergroups.Main(context.Background(), args, cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if code != 0 {
		t.Fatalf("kafka-consumer-groups %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

type membersDoc struct {
	Groups []struct {
		Group   string `json:"group"`
		State   string `json:"state"`
		Members []struct {
			ConsumerID string `json:"consumer_id"`
			ClientID   string `json:"client_id"`
			Partitions int    `json:"partitions"`
			Assignment []struct {
				Topic      string  `json:"topic"`
				Partitions []int32 `json:"partitions"`
			} `json:"assignment"`
		} `json:"members"`
	} `json:"groups"`
}

type offsetsDoc struct {
	Groups []struct {
		Group      string `json:"group"`
		State      string `json:"state"`
		TotalLag   *int64 `json:"total_lag"`
		Partitions []struct {
			Topic         string `json:"topic"`
			Partition     int32  `json:"partition"`
			CurrentOffset *int64 `json:"current_offset"`
			LogEndOffset  *int64 `json:"log_end_offset"`
			Lag           *int64 `json:"lag"`
		} `json:"partitions"`
	} `json:"groups"`
}

func describeJSON(t *testing.T, addr, group string, doc any, extra ...string) {
	t.Helper()
	out := tool(t, append([]string{"--bootstrap-server", addr, "--describe", "--group", group, "--output", "json"}, extra...)...)
	if err := json.Unmarshal([]byte(out), doc); err != nil {
		t.Fatalf("describe %s: %v\n%s", group, err, out)
	}
}

// waitSplit waits until the members' own reports and the tool's view of the
// group agree on a split of the topic's partitions: every partition owned
// by exactly one member, no member owning more than its share, the group
// Stable. It returns each member's partitions.
func waitSplit(t *testing.T, addr, group, topic string, partitions int, members ...member) map[string][]int32 {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var why string
	for time.Now().Before(deadline) {
		got, reason := checkSplit(t, addr, group, topic, partitions, members)
		if reason == "" {
			return got
		}
		why = reason
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("group %s never split %d partitions over %d members: %s", group, partitions, len(members), why)
	return nil
}

func checkSplit(t *testing.T, addr, group, topic string, partitions int, members []member) (map[string][]int32, string) {
	reported := map[string][]int32{}
	owner := map[int32]string{}
	for _, m := range members {
		a, ok := m.Assignment()
		if !ok {
			return nil, m.Name() + " has no assignment yet"
		}
		for _, p := range a {
			if prev, taken := owner[p]; taken {
				return nil, fmt.Sprintf("partition %d owned by %s and %s", p, prev, m.Name())
			}
			owner[p] = m.Name()
		}
		// The range and round-robin assignors never give a member more than
		// its share.
		if share := (partitions + len(members) - 1) / len(members); len(a) > share {
			return nil, fmt.Sprintf("%s owns %v, more than %d", m.Name(), a, share)
		}
		reported[m.Name()] = a
	}
	if len(owner) != partitions {
		return nil, fmt.Sprintf("%d of %d partitions owned: %v", len(owner), partitions, reported)
	}
	var doc membersDoc
	describeJSON(t, addr, group, &doc, "--members")
	if len(doc.Groups) != 1 || doc.Groups[0].State != "Stable" || len(doc.Groups[0].Members) != len(members) {
		return nil, fmt.Sprintf("described as %+v", doc.Groups)
	}
	for _, dm := range doc.Groups[0].Members {
		var described []int32
		for _, a := range dm.Assignment {
			if a.Topic == topic {
				described = append(described, a.Partitions...)
			}
		}
		want, ok := reported[dm.ClientID]
		if !ok || !slices.Equal(described, want) || dm.Partitions != len(want) {
			return nil, fmt.Sprintf("tool says %s owns %v, the client says %v", dm.ClientID, described, want)
		}
	}
	return reported, ""
}

// TestMembersSplitPartitions: two, then three kafka-python members share
// six partitions without overlap; when one leaves, its partitions move to
// the other two.
func TestMembersSplitPartitions(t *testing.T) {
	requirePython(t, "kafka")
	s := startServer(t)
	createTopic(t, s.Addr, "split", 6)

	a := startPython(t, "kafka-python", s.Addr, "splitters", "split", "py-a", 0)
	b := startPython(t, "kafka-python", s.Addr, "splitters", "split", "py-b", 0)
	two := waitSplit(t, s.Addr, "splitters", "split", 6, a, b)
	t.Logf("two members: %v", two)

	c := startPython(t, "kafka-python", s.Addr, "splitters", "split", "py-c", 0)
	three := waitSplit(t, s.Addr, "splitters", "split", 6, a, b, c)
	t.Logf("three members: %v", three)
	for name, ps := range three {
		if len(ps) != 2 {
			t.Errorf("%s owns %v, want two of six partitions", name, ps)
		}
	}

	b.Stop(t)
	after := waitSplit(t, s.Addr, "splitters", "split", 6, a, c)
	t.Logf("after py-b left: %v", after)
	for _, p := range three["py-b"] {
		if !slices.Contains(after["py-a"], p) && !slices.Contains(after["py-c"], p) {
			t.Errorf("partition %d of py-b went to no one: %v", p, after)
		}
	}
	a.Stop(t)
	c.Stop(t)
	var doc membersDoc
	describeJSON(t, s.Addr, "splitters", &doc, "--members")
	if len(doc.Groups) != 1 || doc.Groups[0].State != "Empty" || len(doc.Groups[0].Members) != 0 {
		t.Errorf("after everyone left, described as %+v, want Empty", doc.Groups)
	}
}

// TestFifthMemberIsIdle: five confluent-kafka members on four partitions;
// one of them gets nothing, and the tool shows it with #PARTITIONS 0.
func TestFifthMemberIsIdle(t *testing.T) {
	requirePython(t, "confluent_kafka")
	s := startServer(t)
	createTopic(t, s.Addr, "four", 4)
	var ms []member
	for i := 1; i <= 5; i++ {
		ms = append(ms, startPython(t, "confluent", s.Addr, "five", "four", fmt.Sprintf("ck-%d", i), 0))
	}
	got := waitSplit(t, s.Addr, "five", "four", 4, ms...)
	idle := 0
	for _, ps := range got {
		if len(ps) == 0 {
			idle++
		}
	}
	if idle != 1 {
		t.Fatalf("assignments %v: %d idle members, want 1", got, idle)
	}
	// The plain --members table agrees: one row with 0 partitions.
	out := tool(t, "--bootstrap-server", s.Addr, "--describe", "--group", "five", "--members")
	zero := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 5 && f[0] == "five" && f[4] == "0" {
			zero++
		}
	}
	if zero != 1 {
		t.Errorf("--members shows %d members with no partition, want 1:\n%s", zero, out)
	}
	for _, m := range ms {
		m.Stop(t)
	}
}

// readEverything starts one member per group, each told to read all of the
// topic, and checks each read every record once and left nothing unread.
func readEverything(t *testing.T, addr, topic string, total int, groups map[string]member) {
	t.Helper()
	for group, m := range groups {
		count, distinct := m.Done(t)
		if count < total || distinct != total {
			t.Errorf("group %s (%s) read %d records, %d distinct; want all %d", group, m.Name(), count, distinct, total)
		}
	}
	for group := range groups {
		var doc offsetsDoc
		describeJSON(t, addr, group, &doc)
		if len(doc.Groups) != 1 || doc.Groups[0].TotalLag == nil || *doc.Groups[0].TotalLag != 0 {
			t.Errorf("group %s: described as %+v, want total lag 0", group, doc.Groups)
		}
	}
}

// TestGroupsEachReadEverything: a kafka-python group and a confluent-kafka
// group on the same topic each read all of it.
func TestGroupsEachReadEverything(t *testing.T) {
	requirePython(t, "kafka")
	requirePython(t, "confluent_kafka")
	s := startServer(t)
	createTopic(t, s.Addr, "all", 3)
	produce(t, s.Addr, "all", 10, 10, 10)
	groups := map[string]member{
		"readers-a": startPython(t, "kafka-python", s.Addr, "readers-a", "all", "py-reader", 30),
		"readers-b": startPython(t, "confluent", s.Addr, "readers-b", "all", "ck-reader", 30),
	}
	readEverything(t, s.Addr, "all", 30, groups)
	for _, m := range groups {
		m.Stop(t)
	}
}

// TestKafkaJSAndFranzGoJoinGroups: a kafkajs group and a franz-go group
// read everything; a franz-go member shares a group with a kafka-python
// member, splitting the partitions with it.
func TestKafkaJSAndFranzGoJoinGroups(t *testing.T) {
	s := startServer(t)
	createTopic(t, s.Addr, "all", 3)
	produce(t, s.Addr, "all", 4, 7, 9)
	groups := map[string]member{
		"franz-readers": startFranz(t, s.Addr, "franz-readers", "all", "fg-reader", 20),
	}
	if _, _, err := lookNode(); err == nil || os.Getenv("KAFKAKIT_REQUIRE_CLIENTS") == "1" {
		groups["js-readers"] = startKafkaJS(t, s.Addr, "js-readers", "all", "js-reader", 20)
	} else {
		t.Logf("kafkajs part skipped: %v", err)
	}
	readEverything(t, s.Addr, "all", 20, groups)
	for _, m := range groups {
		m.Stop(t)
	}

	t.Run("mixed group", func(t *testing.T) {
		requirePython(t, "kafka")
		py := startPython(t, "kafka-python", s.Addr, "mixed", "all", "py-mixed", 0)
		fg := startFranz(t, s.Addr, "mixed", "all", "fg-mixed", 0)
		got := waitSplit(t, s.Addr, "mixed", "all", 3, py, fg)
		t.Logf("kafka-python and franz-go in one group: %v", got)
		py.Stop(t)
		fg.Stop(t)
	})
}

func lookNode() (string, string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "", err
	}
	nodePath, _ := filepath.Abs(filepath.Join("..", "compat", "clients", "node_modules"))
	if _, err := os.Stat(filepath.Join(nodePath, "kafkajs")); err != nil {
		return "", "", err
	}
	return node, nodePath, nil
}

// committedOffsets is every group's committed offsets as the tool shows
// them: "group topic partition offset" lines.
func committedOffsets(t *testing.T, addr string, groups ...string) []string {
	t.Helper()
	var lines []string
	for _, g := range groups {
		var doc offsetsDoc
		describeJSON(t, addr, g, &doc)
		for _, gd := range doc.Groups {
			for _, p := range gd.Partitions {
				cur := "-"
				if p.CurrentOffset != nil {
					cur = strconv.FormatInt(*p.CurrentOffset, 10)
				}
				lines = append(lines, fmt.Sprintf("%s %s %d %s", gd.Group, p.Topic, p.Partition, cur))
			}
		}
	}
	slices.Sort(lines)
	return lines
}

// TestCommittedOffsetsSurviveRestartAndLag: offsets committed by
// kafka-python and franz-go members are there after the broker is stopped
// and started again; records produced afterwards show up as lag, exactly
// what was produced minus what was consumed.
func TestCommittedOffsetsSurviveRestartAndLag(t *testing.T) {
	requirePython(t, "kafka")
	s := startServer(t)
	createTopic(t, s.Addr, "durable", 3)
	produce(t, s.Addr, "durable", 10, 10, 10)
	py := startPython(t, "kafka-python", s.Addr, "durable-py", "durable", "py-durable", 30)
	fg := startFranz(t, s.Addr, "durable-fg", "durable", "fg-durable", 30)
	for _, m := range []member{py, fg} {
		if count, distinct := m.Done(t); distinct != 30 {
			t.Fatalf("%s read %d records, %d distinct, want 30", m.Name(), count, distinct)
		}
		m.Stop(t)
	}
	before := committedOffsets(t, s.Addr, "durable-py", "durable-fg")
	want := []string{
		"durable-fg durable 0 10", "durable-fg durable 1 10", "durable-fg durable 2 10",
		"durable-py durable 0 10", "durable-py durable 1 10", "durable-py durable 2 10",
	}
	if !slices.Equal(before, want) {
		t.Fatalf("committed before restart:\n%q\nwant\n%q", before, want)
	}

	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatalf("stop broker: %v\n%s", err, s.Log())
	}
	if err := s.Start(); err != nil {
		t.Fatalf("restart broker: %v", err)
	}
	var after []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		after = committedOffsets(t, s.Addr, "durable-py", "durable-fg")
		if slices.Equal(after, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !slices.Equal(after, want) {
		t.Fatalf("committed after restart:\n%q\nwant\n%q", after, want)
	}

	// 30 consumed; 7 more produced: 5 on partition 0, none on 1, 2 on 2.
	produce(t, s.Addr, "durable", 5, 0, 2)
	var doc offsetsDoc
	describeJSON(t, s.Addr, "durable-py", &doc)
	wantLag := map[int32]int64{0: 5, 1: 0, 2: 2}
	for _, p := range doc.Groups[0].Partitions {
		if p.Lag == nil || *p.Lag != wantLag[p.Partition] || *p.LogEndOffset-*p.CurrentOffset != *p.Lag {
			t.Errorf("partition %d: lag %v (current %v, end %v), want %d", p.Partition, p.Lag, p.CurrentOffset, p.LogEndOffset, wantLag[p.Partition])
		}
	}
	if tl := doc.Groups[0].TotalLag; tl == nil || *tl != 37-30 {
		t.Errorf("total lag %v, want 37 produced - 30 consumed = 7", tl)
	}
	// The plain table Kafka users script against says the same.
	out := tool(t, "--bootstrap-server", s.Addr, "--describe", "--group", "durable-fg")
	lags := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 9 && f[0] == "durable-fg" {
			lags[f[2]] = f[5]
		}
	}
	if w := map[string]string{"0": "5", "1": "0", "2": "2"}; fmt.Sprint(lags) != fmt.Sprint(w) {
		t.Errorf("LAG column %v, want %v:\n%s", lags, w, out)
	}
}
