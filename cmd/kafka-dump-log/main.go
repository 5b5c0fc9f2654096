// Command kafka-dump-log prints the contents of Kafka log segments,
// indexes and snapshots, as Apache Kafka's kafka-dump-log.sh does.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/dumplog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := dumplog.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
