package consumerperf

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/producerperf"
	"github.com/kafkakit/kafkakit/internal/cli/producerperf/perftest"
	"github.com/kafkakit/kafkakit/internal/cli/topics"
)

func TestMain(m *testing.M) {
	stdio := cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	run := func(main func(context.Context, []string, cli.IOStreams) int) func() {
		return func() {
			ctx, stop := cli.SignalContext()
			code := main(ctx, os.Args[1:], stdio)
			stop()
			os.Exit(code)
		}
	}
	testscript.Main(m, map[string]func(){
		"kafka-consumer-perf-test": run(Main),
		"kafka-producer-perf-test": run(producerperf.Main),
		"kafka-topics":             run(topics.Main),
	})
}

// TestScripts runs testdata/script/*.txtar against a kafka-server process
// built from this checkout, or against the cluster in
// $KAFKAKIT_TEST_BOOTSTRAP. UPDATE_GOLDEN=1 rewrites the cmp goldens.
func TestScripts(t *testing.T) {
	testscript.Run(t, perftest.Params(t, "testdata/script"))
}
