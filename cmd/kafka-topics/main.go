// Command kafka-topics creates, deletes, describes, lists and alters topics,
// as Apache Kafka's kafka-topics.sh does.
package main

import (
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/topics"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := topics.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
