// Command kafka-console-producer reads lines from standard input and
// produces them as records, as Apache Kafka's kafka-console-producer.sh does.
package main

import (
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/consoleproducer"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := consoleproducer.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
