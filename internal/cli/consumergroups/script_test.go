package consumergroups

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/clitest"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

func TestMain(m *testing.M) {
	clitest.Main(runTests{m}, map[string]clitest.Tool{"kafka-consumer-groups": Main})
}

// runTests removes the kafka-server build, if any, once the tests are done.
type runTests struct{ m *testing.M }

func (r runTests) Run() int {
	code := r.m.Run()
	if server.dir != "" {
		os.RemoveAll(server.dir)
	}
	return code
}

// TestScripts runs testdata/script/*.txtar: kafka-consumer-groups, run as
// its own process, against kafka-server processes listening on real TCP
// ports. UPDATE_GOLDEN=1 rewrites the cmp goldens; cmpenv goldens, which
// hold broker addresses and member ids as $VARIABLES, are edited by hand.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/script"))
}

// server is the kafka-server binary the tests start, built once per test
// binary.
var server struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// serverBin returns the kafka-server binary for the tests:
// $KAFKAKIT_SERVER_BIN when set, otherwise one built from this module.
func serverBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KAFKAKIT_SERVER_BIN"); bin != "" {
		return bin
	}
	server.once.Do(func() {
		if server.dir, server.err = os.MkdirTemp("", "kafkakit-consumergroups-test"); server.err == nil {
			server.bin, server.err = testbroker.BuildServer(server.dir)
		}
	})
	if server.err != nil {
		t.Fatal(server.err)
	}
	return server.bin
}

func scriptParams(t *testing.T, dir string) testscript.Params {
	bin := serverBin(t)
	p := clitest.ScriptParams(dir)
	p.Setup = func(env *testscript.Env) error {
		env.Values["members"] = &memberSet{m: map[string]*member{}}
		env.Values["server"] = bin
		// Under -race every tool run would otherwise wait a second at
		// exit for the race detector (GORACE atexit_sleep_ms).
		if os.Getenv("GORACE") == "" {
			env.Setenv("GORACE", "atexit_sleep_ms=0")
		}
		return nil
	}
	p.Cmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"broker":    cmdBroker,
		"topic":     cmdTopic,
		"produce":   cmdProduce,
		"member":    cmdMember,
		"leave":     cmdLeave,
		"committed": clitest.KCommitted,
		"commit":    cmdCommit,
		"cmpusage":  cmdCmpUsage,
		"rawjoin":   cmdRawJoin,
	}
	return p
}

// cmdBroker: broker NAME — start a kafka-server process with its data
// under $WORK/NAME, listening on 127.0.0.1 on a free port; set $NAME to its
// address, $NAME_PORT to its port and $NAME_ID to its node id. It is killed when the script ends.
func cmdBroker(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: broker NAME")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	p, err := testbroker.StartProcess(ts.Value("server").(string), dir, "offsets.topic.num.partitions=3")
	ts.Check(err)
	ts.Defer(p.Kill)
	ts.Setenv(args[0], p.Addr)
	ts.Setenv(args[0]+"_ID", "1")
	ts.Setenv(args[0]+"_PORT", p.Addr[strings.LastIndexByte(p.Addr, ':')+1:])
	ts.Logf("broker %s at %s", args[0], p.Addr)
}

func kclient(ts *testscript.TestScript, addr string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	ts.Check(err)
	return cl
}

// cmdTopic: topic ADDR NAME PARTITIONS — create a topic with franz-go.
func cmdTopic(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: topic ADDR NAME PARTITIONS")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	cl := kclient(ts, args[0])
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(n), 1, nil, args[1])
	ts.Check(err)
	ts.Check(resp.Err)
}

// cmdProduce: produce ADDR TOPIC PARTITION COUNT [FIRST_TIMESTAMP_MS] —
// produce COUNT records to one partition with franz-go; record i has value
// "v<i>" and timestamp FIRST_TIMESTAMP_MS + 1000*i (default
// 1700000000000, 2023-11-14T22:13:20.000Z).
func cmdProduce(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 || len(args) > 5 {
		ts.Fatalf("usage: produce ADDR TOPIC PARTITION COUNT [FIRST_TIMESTAMP_MS]")
	}
	p, err := strconv.Atoi(args[2])
	ts.Check(err)
	n, err := strconv.Atoi(args[3])
	ts.Check(err)
	first := int64(1700000000000)
	if len(args) == 5 {
		first, err = strconv.ParseInt(args[4], 10, 64)
		ts.Check(err)
	}
	cl := kclient(ts, args[0], kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: args[1], Partition: int32(p), Value: []byte("v" + strconv.Itoa(i)),
			Timestamp: time.UnixMilli(first + 1000*int64(i))}
	}
	ts.Check(cl.ProduceSync(ctx, recs...).FirstErr())
}

// member is a franz-go consumer in a group, started by the member command.
type member struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
}

type memberSet struct {
	mu sync.Mutex
	m  map[string]*member
}

func members(ts *testscript.TestScript) *memberSet {
	return ts.Value("members").(*memberSet)
}

// cmdMember: member NAME ADDR GROUP TOPIC [CONSUME] — start a group member
// with franz-go (client id NAME, range assignor) subscribed to TOPIC, wait
// until it owns partitions, then, if CONSUME is given, read that many
// records and commit them. $NAME is set to its member id. The member stays
// in the group until leave NAME or the end of the script.
func cmdMember(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 || len(args) > 5 {
		ts.Fatalf("usage: member NAME ADDR GROUP TOPIC [CONSUME]")
	}
	consume := 0
	if len(args) == 5 {
		var err error
		consume, err = strconv.Atoi(args[4])
		ts.Check(err)
	}
	assigned := make(chan struct{})
	var once sync.Once
	cl := kclient(ts, args[1],
		kgo.ClientID(args[0]),
		kgo.ConsumerGroup(args[2]),
		kgo.ConsumeTopics(args[3]),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.HeartbeatInterval(200*time.Millisecond),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			once.Do(func() { close(assigned) })
		}),
	)
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{cl: cl, cancel: cancel, done: make(chan struct{})}
	set := members(ts)
	set.mu.Lock()
	set.m[args[0]] = m
	set.mu.Unlock()
	ts.Defer(func() { stopMember(m) })

	got := make(chan error, 1)
	go func() {
		defer close(m.done)
		var read []*kgo.Record
		reported := consume == 0
		for ctx.Err() == nil {
			fetches := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				break
			}
			for _, r := range fetches.Records() {
				if len(read) < consume {
					read = append(read, r)
				}
			}
			if !reported && len(read) >= consume {
				reported = true
				cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
				got <- cl.CommitRecords(cctx, read...)
				ccancel()
			}
		}
	}()
	select {
	case <-assigned:
	case <-time.After(20 * time.Second):
		ts.Fatalf("member %s: no partitions assigned within 20s", args[0])
	}
	if consume > 0 {
		select {
		case err := <-got:
			ts.Check(err)
		case <-time.After(20 * time.Second):
			ts.Fatalf("member %s: did not read %d records within 20s", args[0], consume)
		}
	}
	id, _ := cl.GroupMetadata()
	ts.Setenv(args[0], id)
	ts.Logf("member %s is %s", args[0], id)
}

func stopMember(m *member) {
	m.cancel()
	<-m.done
	m.cl.Close() // leaves the group
}

// cmdLeave: leave NAME — stop the member and leave its group.
func cmdLeave(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: leave NAME")
	}
	set := members(ts)
	set.mu.Lock()
	m := set.m[args[0]]
	delete(set.m, args[0])
	set.mu.Unlock()
	if m == nil {
		ts.Fatalf("no member %s", args[0])
	}
	stopMember(m)
}

// cmdCommit: commit ADDR GROUP TOPIC PARTITION OFFSET... — commit offsets
// for a group without members, with franz-go (as an admin does).
func cmdCommit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 5 || len(args)%2 != 1 {
		ts.Fatalf("usage: commit ADDR GROUP TOPIC PARTITION OFFSET [PARTITION OFFSET]...")
	}
	cl := kclient(ts, args[0])
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var offs kadm.Offsets
	for i := 3; i < len(args); i += 2 {
		p, err := strconv.Atoi(args[i])
		ts.Check(err)
		o, err := strconv.ParseInt(args[i+1], 10, 64)
		ts.Check(err)
		offs.AddOffset(args[2], int32(p), o, -1)
	}
	resp, err := kadm.NewClient(cl).CommitOffsets(ctx, args[1], offs)
	ts.Check(err)
	ts.Check(resp.Error())
}

// cmdCmpUsage: cmpusage stdout|stderr FILE — the stream must be FILE's text
// followed by the option table (how Kafka prints option errors).
func cmdCmpUsage(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || (args[0] != "stdout" && args[0] != "stderr") {
		ts.Fatalf("usage: cmpusage stdout|stderr FILE")
	}
	got := ts.ReadFile(args[0])
	want := ts.ReadFile(args[1]) + cli.UsageTable(NewCommand(cli.IOStreams{}))
	if (got == want) == neg {
		if neg {
			ts.Fatalf("%s unexpectedly equals %s + usage", args[0], args[1])
		}
		ts.Fatalf("%s differs from %s + usage:\ngot:\n%s\nwant:\n%s", args[0], args[1], got, want)
	}
}

// cmdRawJoin: rawjoin ADDR GROUP PROTOCOL_TYPE — join GROUP as the only
// member of a group of another protocol type (Kafka Connect workers use
// "connect") with raw JoinGroup and SyncGroup requests. The member stays
// until its session times out.
func cmdRawJoin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: rawjoin ADDR GROUP PROTOCOL_TYPE")
	}
	cl := kclient(ts, args[0])
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group = args[1]
	join.SessionTimeoutMillis = 30000
	join.RebalanceTimeoutMillis = 30000
	join.ProtocolType = args[2]
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name = "default"
	p.Metadata = []byte{}
	join.Protocols = append(join.Protocols, p)
	var resp *kmsg.JoinGroupResponse
	for attempt := 0; attempt < 2; attempt++ {
		var err error
		resp, err = join.RequestWith(ctx, cl)
		ts.Check(err)
		if resp.ErrorCode != kerr.MemberIDRequired.Code {
			break
		}
		join.MemberID = resp.MemberID
	}
	ts.Check(kerr.ErrorForCode(resp.ErrorCode))
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group = args[1]
	sync.Generation = resp.Generation
	sync.MemberID = resp.MemberID
	sync.ProtocolType = kmsg.StringPtr(args[2])
	sync.Protocol = kmsg.StringPtr("default")
	sa := kmsg.NewSyncGroupRequestGroupAssignment()
	sa.MemberID = resp.MemberID
	sa.MemberAssignment = []byte{}
	sync.GroupAssignment = append(sync.GroupAssignment, sa)
	sresp, err := sync.RequestWith(ctx, cl)
	ts.Check(err)
	ts.Check(kerr.ErrorForCode(sresp.ErrorCode))
}
