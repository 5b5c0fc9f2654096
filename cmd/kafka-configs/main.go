// Command kafka-configs describes and alters the dynamic configs of topics,
// brokers and broker loggers and the quotas of users, clients and IPs, as
// Apache Kafka's kafka-configs.sh does.
package main

import (
	"os"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/configs"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := configs.Main(ctx, os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
