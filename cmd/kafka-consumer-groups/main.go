// Command kafka-consumer-groups lists, describes and deletes consumer
// groups and resets or deletes their committed offsets, as Apache Kafka's
// kafka-consumer-groups.sh does.
package main

import (
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/consumergroups"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := consumergroups.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
