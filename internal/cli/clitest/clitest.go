// Package clitest is the shared harness of the tools' testscript suites:
// Main, which installs tools as commands that run as their cmd/<tool> mains
// do; ScriptParams, the settings every suite shares; and Params, which adds a
// `broker NAME` command that starts a broker (internal/testbroker) and
// exports its address as $NAME, a `buildtools` command that builds the real
// binaries into $WORK/bin for shell pipelines, a `waitfor` command that polls
// a file with a deadline, and the [kfake] condition, true while testbroker
// runs franz-go's kfake rather than kafka-server (goldens stay true to Apache
// Kafka; lines that only kfake prints sit behind [kfake]).
package clitest

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// Tool is a tool's Main, as cmd/<tool>/main.go calls it.
type Tool func(ctx context.Context, args []string, io cli.IOStreams) int

// Main is testscript.Main for the tools: it runs the tests of m with each
// tool installed as a command of that name, which runs as cmd/<tool>/main.go
// does: with a context cancelled by SIGINT or SIGTERM, os.Args[1:] and the
// process's standard streams, exiting with the tool's code.
func Main(m testscript.TestingM, tools map[string]Tool) {
	cmds := make(map[string]func(), len(tools))
	for name, tool := range tools {
		cmds[name] = func() {
			ctx, stop := cli.SignalContext()
			code := tool(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
			stop()
			os.Exit(code)
		}
	}
	testscript.Main(m, cmds)
}

// ScriptParams returns the testscript settings every tool's suite shares:
// the scripts in dir, commands run only through exec, unique script names,
// and UPDATE_GOLDEN=1 rewriting the cmp goldens in the scripts.
func ScriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
	}
}

// Params returns testscript parameters for the scripts in dir with the
// shared commands and conditions. UPDATE_GOLDEN=1 rewrites cmp goldens.
//
// Conditions, probed once on a broker from testbroker:
//
//	[kfake]            the broker is franz-go's kfake (it sends no error messages)
//	[dtp]              the broker has DescribeTopicPartitions (API 75, KIP-966), as
//	                   Kafka 3.8+ does; without it Kafka's tool prints "Elr: N/A"
//	[kafkaconfigorder] DescribeConfigs lists a topic's configs in Apache Kafka's
//	                   order (that of the Scala HashMap Kafka's broker builds)
func Params(t *testing.T, dir string) testscript.Params {
	probe := probeBroker(t)
	p := ScriptParams(dir)
	p.Cmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"broker":     cmdBroker,
		"buildtools": cmdBuildTools,
		"waitfor":    cmdWaitFor,
		"topicid":    cmdTopicID,
		"cmpcat":     cmdCmpCat,
		"elr": func(ts *testscript.TestScript, neg bool, args []string) {
			// elr: set $ELR and $ELRJSON to how kafka-topics shows the
			// eligible leader replicas of a partition with this broker.
			if probe.dtp {
				ts.Setenv("ELR", "Elr: \tLastKnownElr: ")
				ts.Setenv("ELRJSON", "[]")
			} else {
				ts.Setenv("ELR", "Elr: N/A\tLastKnownElr: N/A")
				ts.Setenv("ELRJSON", "null")
			}
		},
		"kconsume":   cmdKConsume,
		"kproduce":   cmdKProduce,
		"kcommitted": KCommitted,
		"brokerid":   cmdBrokerID,
	}
	p.Condition = func(cond string) (bool, error) {
		switch cond {
		case "kfake":
			return probe.kfake, nil
		case "dtp":
			return probe.dtp, nil
		case "kafkaconfigorder":
			return probe.configOrder, nil
		}
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	return p
}

type probeResult struct{ kfake, dtp, configOrder bool }

// probeBroker starts a broker and asks it what the conditions need to know.
func probeBroker(t *testing.T) probeResult {
	t.Helper()
	b, err := testbroker.Start(testbroker.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var p probeResult

	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("probe metadata: %v", err)
	}
	p.kfake = md.ClusterID != nil && *md.ClusterID == "kfake"

	versions, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("probe api versions: %v", err)
	}
	for _, k := range versions.ApiKeys {
		if k.ApiKey == 75 {
			p.dtp = true
		}
	}

	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "probe"); err != nil {
		t.Fatalf("probe create topic: %v", err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "probe")
	if err != nil || len(rcs) != 1 {
		t.Fatalf("probe describe configs: %v", err)
	}
	var names []string
	var hashes []int32
	for _, c := range rcs[0].Configs {
		names = append(names, c.Key)
		hashes = append(hashes, cli.JavaStringHash(c.Key))
	}
	// Kafka's broker answers DescribeConfigs for a topic in the order of a
	// Scala mutable.HashMap of every topic config.
	p.configOrder = len(names) > 1 && slices.Equal(names, cli.ScalaHashOrder(names, hashes, nil))
	return p
}

// ClusterID asks the broker at addr for its cluster id, with franz-go.
func ClusterID(addr string) (string, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return "", err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return "", err
	}
	if resp.ClusterID == nil {
		return "", nil
	}
	return *resp.ClusterID, nil
}

// cmdCmpCat: cmpcat stdout|stderr file... — the stream must equal the
// concatenation of the files (a message followed by a shared usage table).
func cmdCmpCat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || (args[0] != "stdout" && args[0] != "stderr") {
		ts.Fatalf("usage: cmpcat stdout|stderr file...")
	}
	got := ts.ReadFile(args[0])
	var want strings.Builder
	for _, f := range args[1:] {
		want.WriteString(ts.ReadFile(f))
	}
	if (got == want.String()) == neg {
		if neg {
			ts.Fatalf("%s unexpectedly equals %s", args[0], strings.Join(args[1:], " + "))
		}
		ts.Logf("[diff]\n%s", lineDiff(want.String(), got))
		ts.Fatalf("%s differs from %s", args[0], strings.Join(args[1:], " + "))
	}
}

// lineDiff shows the first differing line of want and got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, wl, gl)
		}
	}
	return ""
}

// metadata asks the broker at addr for cluster metadata with franz-go, a
// client independent of the tools under test.
func metadata(addr string, topics ...string) (*kmsg.MetadataResponse, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	return req.RequestWith(ctx, cl)
}

// cmdTopicID: topicid VAR ADDR TOPIC — set $VAR to the topic's id as Kafka
// prints it (URL-safe base64 without padding).
func cmdTopicID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: topicid VAR ADDR TOPIC")
	}
	resp, err := metadata(args[1], args[2])
	ts.Check(err)
	for _, t := range resp.Topics {
		if t.Topic != nil && *t.Topic == args[2] && t.ErrorCode == 0 {
			ts.Setenv(args[0], base64.RawURLEncoding.EncodeToString(t.TopicID[:]))
			return
		}
	}
	ts.Fatalf("topic %s not found", args[2])
}

// cmdKConsume: kconsume ADDR TOPIC N FILE — read N records of TOPIC from
// the beginning with franz-go (a client independent of the tools) and write
// them to FILE, one per line sorted by partition and offset:
// "p<partition> o<offset> k=<key> v=<value> h=<k:v,...>" with "null" for
// null keys, values and header values.
func cmdKConsume(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: kconsume ADDR TOPIC N FILE")
	}
	var n int
	_, err := fmt.Sscan(args[2], &n)
	ts.Check(err)
	cl, err := kgo.NewClient(kgo.SeedBrokers(args[0]), kgo.ConsumeTopics(args[1]),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			ts.Fatalf("kconsume: %d of %d records before the deadline", len(recs), n)
		}
		fetches.EachError(func(t string, p int32, err error) { ts.Logf("fetch %s/%d: %v", t, p, err) })
		recs = append(recs, fetches.Records()...)
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
	str := func(b []byte) string {
		if b == nil {
			return "null"
		}
		return string(b)
	}
	var out strings.Builder
	for _, r := range recs {
		var hs []string
		for _, h := range r.Headers {
			hs = append(hs, h.Key+":"+str(h.Value))
		}
		fmt.Fprintf(&out, "p%d o%d k=%s v=%s h=%s\n", r.Partition, r.Offset, str(r.Key), str(r.Value), strings.Join(hs, ","))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(out.String()), 0o644))
}

// cmdKProduce: kproduce ADDR TOPIC FILE — produce each line of FILE as a
// record with franz-go: "key\tvalue", or just "value" (a line starting
// with "q:" is unquoted as a Go string first, for binary data); the partition is
// chosen by franz-go's Java-compatible partitioner. Timestamps are fixed
// (1700000000000 + line number) so consumers print predictable output.
func cmdKProduce(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: kproduce ADDR TOPIC FILE")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(args[0]), kgo.DefaultProduceTopic(args[1]),
		kgo.AllowAutoTopicCreation())
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lines := strings.Split(strings.TrimSuffix(ts.ReadFile(args[2]), "\n"), "\n")
	for i, line := range lines {
		r := &kgo.Record{Timestamp: time.UnixMilli(1700000000000 + int64(i))}
		if q, ok := strings.CutPrefix(line, "q:"); ok {
			line, err = strconv.Unquote(`"` + q + `"`)
			ts.Check(err)
		}
		if k, v, ok := strings.Cut(line, "\t"); ok {
			r.Key, r.Value = []byte(k), []byte(v)
		} else {
			r.Value = []byte(line)
		}
		ts.Check(cl.ProduceSync(ctx, r).FirstErr())
	}
}

// KCommitted is the kcommitted command, exported for suites that build
// their own parameters: kcommitted ADDR GROUP FILE — write the group's
// committed offsets, read with franz-go's kadm, as sorted
// "topic partition offset" lines.
func KCommitted(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: kcommitted ADDR GROUP FILE")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(args[0]))
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offsets, err := kadm.NewClient(cl).FetchOffsets(ctx, args[1])
	ts.Check(err)
	var lines []string
	offsets.Each(func(o kadm.OffsetResponse) {
		lines = append(lines, fmt.Sprintf("%s %d %d", o.Topic, o.Partition, o.At))
	})
	sort.Strings(lines)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// cmdBrokerID: brokerid VAR ADDR — set $VAR to the node id of the (first)
// broker.
func cmdBrokerID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: brokerid VAR ADDR")
	}
	resp, err := metadata(args[1])
	ts.Check(err)
	if len(resp.Brokers) == 0 {
		ts.Fatalf("no brokers")
	}
	ts.Setenv(args[0], fmt.Sprint(resp.Brokers[0].NodeID))
}

// cmdBroker: broker NAME [partitions] — start a broker with its data under
// $WORK/NAME and set $NAME to its address. It stops when the script ends.
func cmdBroker(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: broker NAME [partitions]")
	}
	opts := testbroker.Options{Dir: ts.MkAbs(args[0])}
	if len(args) == 2 {
		if _, err := fmt.Sscan(args[1], &opts.Partitions); err != nil {
			ts.Fatalf("partitions: %v", err)
		}
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		ts.Fatalf("%v", err)
	}
	b, err := testbroker.Start(opts)
	ts.Check(err)
	ts.Defer(b.Close)
	ts.Setenv(args[0], b.Addr)
}

// cmdBuildTools: buildtools — build the three console tools and kafka-topics
// with `go build` into $WORK/bin and put it first on $PATH.
func cmdBuildTools(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: buildtools")
	}
	bin := ts.MkAbs("bin")
	root, err := moduleRoot()
	ts.Check(err)
	cmd := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
		"./cmd/kafka-topics", "./cmd/kafka-console-producer", "./cmd/kafka-console-consumer")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		ts.Fatalf("go build: %v\n%s", err, out)
	}
	ts.Setenv("PATH", bin+string(filepath.ListSeparator)+ts.Getenv("PATH"))
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// cmdWaitFor: waitfor [-count=N] [-timeout=D] file pattern — poll file until
// the pattern matches (N times), or fail after the timeout (default 30s).
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	count, timeout := 1, 30*time.Second
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		var err error
		switch {
		case strings.HasPrefix(args[0], "-count="):
			_, err = fmt.Sscan(strings.TrimPrefix(args[0], "-count="), &count)
		case strings.HasPrefix(args[0], "-timeout="):
			timeout, err = time.ParseDuration(strings.TrimPrefix(args[0], "-timeout="))
		default:
			err = fmt.Errorf("unknown flag %s", args[0])
		}
		ts.Check(err)
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor [-count=N] [-timeout=D] file pattern")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	deadline := time.Now().Add(timeout)
	for {
		data, _ := os.ReadFile(ts.MkAbs(args[0]))
		if len(re.FindAllIndex(data, -1)) >= count {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfor: %s did not match %q %d times within %v; it holds:\n%s", args[0], args[1], count, timeout, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ParseOptions builds a tool's options from args without running it:
// newCommand is the tool's constructor of its options and command, and
// the options' Complete runs as the command would run it.
func ParseOptions[O interface {
	Complete(*cobra.Command, []string)
}](t *testing.T, newCommand func(cli.IOStreams) (O, *cobra.Command), args []string) O {
	t.Helper()
	io := cli.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	o, cmd := newCommand(io)
	if err := cmd.Flags().Parse(cli.NormalizeArgs(cmd.Flags(), args)); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	o.Complete(cmd, cmd.Flags().Args())
	return o
}
