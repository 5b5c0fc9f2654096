// Command kafka-consumer-perf-test measures consumer throughput, as Apache
// Kafka's kafka-consumer-perf-test.sh does.
package main

import (
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/consumerperf"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := consumerperf.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
