// Command kafka-producer-perf-test measures producer throughput and
// latency, as Apache Kafka's kafka-producer-perf-test.sh does.
package main

import (
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/producerperf"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := producerperf.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
