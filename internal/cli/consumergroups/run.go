package consumergroups

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// Run performs the action against the cluster. Failures come back in
// Kafka's shapes: option errors as usage errors (exit 1), everything else
// as "Error: Executing consumer group command failed due to ..." on stdout
// with exit code 0. With --output json a failure is one line on stderr and
// exit code 1 instead.
func (o *Options) Run(ctx context.Context) error {
	err := o.run(ctx)
	if err == nil {
		return nil
	}
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return err
	}
	var f *failure
	if !errors.As(err, &f) {
		f = execution(err)
	}
	if o.json() {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "Error: " + f.msg, Err: f}
	}
	return commandFailed(f)
}

func (o *Options) json() bool { return *o.Output == cli.OutputJSON }

// notes is where Kafka's informational lines ("Error: ..." for one group,
// "Warn: ...") go: stdout, as in Kafka, or stderr when stdout carries JSON.
func (o *Options) notes() io.Writer {
	if o.json() {
		return o.IO.ErrOut
	}
	return o.IO.Out
}

func (o *Options) run(ctx context.Context) error {
	// As Kafka's ConsumerGroupService, build the admin client (read the
	// properties file, check the client configs) before any action.
	props := cli.NewProperties()
	if o.has("command-config") {
		path, err := o.CommandConfig.Get()
		if err != nil {
			return optionFailure(err)
		}
		if props, err = loadProperties(path); err != nil {
			return err
		}
	}
	bootstrap, err := o.Bootstrap.Get()
	if err != nil {
		return optionFailure(err)
	}
	cfg, err := client.New(bootstrap, props, client.Admin)
	if err != nil {
		var ce *client.ConfigError
		if errors.As(err, &ce) {
			return failed("org.apache.kafka.common.config.ConfigException", err.Error())
		}
		return failed("org.apache.kafka.common.KafkaException", err.Error())
	}
	timeout := 5 * time.Second
	var timeoutErr error
	if ms, err := o.Timeout.Int64(); err != nil {
		// Kafka reads --timeout when it makes its first admin call.
		timeoutErr = optionFailure(err)
	} else {
		timeout = max(time.Duration(ms)*time.Millisecond, time.Millisecond)
	}
	c := newCluster(cfg, timeout)
	c.openErr = timeoutErr
	defer c.close()

	switch {
	case o.has("list"):
		return o.list(ctx, c)
	case o.has("describe"):
		return o.describe(ctx, c)
	case o.has("delete"):
		return o.deleteGroups(ctx, c)
	case o.has("reset-offsets"):
		return o.resetOffsets(ctx, c)
	case o.has("delete-offsets"):
		return o.deleteOffsets(ctx, c)
	}
	return nil
}

// optionFailure is a jopt-simple exception raised when the tool reads an
// option's value (a repeated single-valued option, a number that does not
// parse).
func optionFailure(err error) *failure {
	var oe *cli.OptionError
	if errors.As(err, &oe) {
		class := "joptsimple.OptionException"
		if len(oe.Msg) > 6 && oe.Msg[:6] == "Cannot" {
			class = "joptsimple.OptionArgumentConversionException"
		} else if len(oe.Msg) > 5 && oe.Msg[:5] == "Found" {
			class = "joptsimple.MultipleArgumentsForOptionException"
		}
		return failed(class, oe.Msg)
	}
	return failed("java.lang.RuntimeException", err.Error())
}

// loadProperties reads --command-config as Kafka's Utils.loadProps does; a
// file that cannot be opened fails the way java.nio reports it, wrapped in
// the RuntimeException of ConsumerGroupService's constructor.
func loadProperties(path string) (*cli.Properties, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nioFailure(path, err)
	}
	defer f.Close()
	props, err := cli.ParseProperties(f)
	if err != nil {
		return nil, runtime("java.lang.IllegalArgumentException", err.Error())
	}
	return props, nil
}

// nioFailure is java.nio's exception for a file that cannot be read,
// wrapped in a RuntimeException.
func nioFailure(path string, err error) *failure {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return runtime("java.nio.file.NoSuchFileException", path)
	case errors.Is(err, fs.ErrPermission):
		return runtime("java.nio.file.AccessDeniedException", path)
	}
	return runtime("java.io.IOException", err.Error())
}
