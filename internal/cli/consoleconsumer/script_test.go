package consoleconsumer

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/clitest"
	"github.com/kafkakit/kafkakit/internal/cli/consoleproducer"
	"github.com/kafkakit/kafkakit/internal/cli/topics"
)

func TestMain(m *testing.M) {
	stdio := cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	withSignals := func(main func(context.Context, []string, cli.IOStreams) int) func() {
		return func() {
			ctx, stop := cli.SignalContext()
			code := main(ctx, os.Args[1:], stdio)
			stop()
			os.Exit(code)
		}
	}
	testscript.Main(m, map[string]func(){
		"kafka-console-consumer": withSignals(Main),
		"kafka-console-producer": withSignals(consoleproducer.Main),
		"kafka-topics":           withSignals(topics.Main),
	})
}

// TestScripts runs testdata/script/*.txtar against a broker from
// internal/testbroker. UPDATE_GOLDEN=1 rewrites the cmp goldens.
func TestScripts(t *testing.T) {
	testscript.Run(t, clitest.Params(t, "testdata/script"))
}
