package configs

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/broker"
	"github.com/kafkakit/kafkakit/internal/cli/clitest"
	"github.com/kafkakit/kafkakit/internal/cli/topics"
)

func TestMain(m *testing.M) {
	clitest.Main(m, map[string]clitest.Tool{
		"kafka-configs": Main,
		"kafka-topics":  topics.Main,
	})
}

// TestScripts runs testdata/script/*.txtar: every action and error of
// kafka-configs against a kafka-server started in process by the `broker`
// command. UPDATE_GOLDEN=1 rewrites the cmp goldens.
func TestScripts(t *testing.T) {
	p := clitest.ScriptParams("testdata/script")
	p.Setup = func(env *testscript.Env) error {
		// A race-enabled binary otherwise waits a second before every
		// successful exit.
		env.Vars = append(env.Vars, "GORACE=atexit_sleep_ms=0")
		return nil
	}
	p.Cmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"broker":   cmdBroker,
		"kproduce": cmdKProduce,
	}
	testscript.Run(t, p)
}

// cmdBroker: broker NAME [key=value...] — start a kafka-server in process
// with its data under $WORK/NAME, listening on a free port of 127.0.0.1,
// with the given broker properties, and set $NAME to its address. It stops
// when the script ends.
func cmdBroker(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: broker NAME [key=value...]")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	overrides := append([]string{
		"listeners=PLAINTEXT://127.0.0.1:0",
		"log.dirs=" + dir,
		"group.initial.rebalance.delay.ms=0",
	}, args[1:]...)
	b, err := broker.Start(broker.Options{Overrides: overrides})
	ts.Check(err)
	ts.Defer(func() { b.Close() })
	ts.Setenv(args[0], b.Addr("PLAINTEXT"))
}

// cmdKProduce: kproduce ADDR TOPIC N — produce N small records to TOPIC
// with franz-go, a client independent of the tool under test.
func cmdKProduce(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: kproduce ADDR TOPIC N")
	}
	var n int
	_, err := fmt.Sscan(args[2], &n)
	ts.Check(err)
	cl, err := kgo.NewClient(kgo.SeedBrokers(args[0]), kgo.DefaultProduceTopic(args[1]))
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		ts.Check(cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprint("v", i))}).FirstErr())
	}
}
