// Command kafka-server is a Kafka broker: it speaks Apache Kafka's wire
// protocol and stores data in Kafka's on-disk log format.
package main

import (
	"context"
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/serverstart"
)

func main() {
	os.Exit(serverstart.Main(context.Background(), os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
