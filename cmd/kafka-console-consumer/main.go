// Command kafka-console-consumer prints records of Kafka topics on standard
// output, as Apache Kafka's kafka-console-consumer.sh does.
package main

import (
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/consoleconsumer"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := consoleconsumer.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
