// Package serverstart is kafka-server's command line, shaped like Apache
// Kafka's kafka-server-start.sh: an optional server.properties file and
// any number of --override key=value pairs. Without a file the broker runs
// a single node from embedded defaults.
package serverstart

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kafkakit/kafkakit/internal/broker"
	"github.com/kafkakit/kafkakit/internal/cli"
)

// Options are kafka-server's options.
type Options struct {
	PropertiesFile string
	Overrides      []string
	LogLevel       string
	IO             cli.IOStreams
}

// NewCommand returns the kafka-server command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	o := &Options{IO: io}
	cmd := cli.NewRoot("kafka-server", "Start a Kafka broker.", io)
	cmd.Use = "kafka-server [server.properties] [--override property=value]*"
	cmd.Long = "USAGE: kafka-server [server.properties] [--override property=value]*\n\n" +
		"Starts a Kafka broker. Without a properties file it runs a single node from embedded\n" +
		"defaults: " + strings.Join(broker.EmbeddedDefaults, ", ") + "."
	cmd.Args = cobra.MaximumNArgs(1)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			o.PropertiesFile = args[0]
		}
		return o.Run(cmd.Context())
	}
	cmd.Flags().StringArrayVar(&o.Overrides, "override", nil, "Optional property that should override values set in server.properties file")
	cmd.Flags().StringVar(&o.LogLevel, "log-level", "info", "Log level: debug, info, warn or error")
	cli.ArgName(cmd.Flags(), "override", "String: property=value")
	cli.ArgName(cmd.Flags(), "log-level", "String: level")
	return cmd
}

// Main runs kafka-server and returns its exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	return cli.Main(ctx, NewCommand(io), args, io)
}

// Run starts the broker and blocks until SIGINT/SIGTERM or ctx ends, then
// shuts it down cleanly.
func (o *Options) Run(ctx context.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return cli.UsageErrorf("invalid --log-level %q: use debug, info, warn or error", o.LogLevel)
	}
	// The handler takes every level; the broker filters per logger so that
	// levels can change at run time (kafka-configs --entity-type broker-loggers).
	handler := slog.NewTextHandler(o.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug - 4})
	logger := slog.New(handler)
	for _, ov := range o.Overrides {
		if !strings.Contains(ov, "=") {
			return cli.Errorf("Invalid override %q: expected property=value", ov)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := broker.Start(broker.Options{PropertiesFile: o.PropertiesFile, Overrides: o.Overrides, LogHandler: handler, LogLevel: level})
	if err != nil {
		logger.Error("kafka-server failed to start", "err", err)
		return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("kafka-server: %v", err)}
	}
	<-ctx.Done()
	if err := b.Close(); err != nil {
		return cli.Errorf("kafka-server: shutdown: %v", err)
	}
	return nil
}
