package consoleconsumer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

const loggerName = "org.apache.kafka.tools.consumer.ConsoleConsumer"

// plan is everything Run resolved from the options before consuming.
type plan struct {
	props      *cli.Properties
	group      string // "" when no group was given
	topic      string
	include    *regexp.Regexp
	partition  int32 // -1: not assigned
	offset     int64
	timeout    time.Duration // 0: none
	maxMsgs    int64         // -1: unlimited
	formatter  formatter
	needTSType bool
}

// Run consumes and prints until --max-messages, --timeout-ms, a signal or
// a closed standard output ends it.
func (o *Options) Run(ctx context.Context) error {
	log := cli.NewLogger(o.IO.ErrOut, loggerName, slog.LevelWarn)
	p, err := o.plan(log)
	if err != nil {
		return err
	}
	settings, err := newSettings(p)
	if err != nil {
		log.Error("Unknown error when running consumer: ", "err", javaConfigError(err))
		return &cli.ExitError{Code: cli.ExitFailure}
	}
	cfg, err := client.New("", p.props, client.Consumer)
	if err != nil {
		log.Error("Unknown error when running consumer: ", "err", javaConfigError(err))
		return &cli.ExitError{Code: cli.ExitFailure}
	}
	cfg.APITimeout = 0 // a consumer keeps trying to reach the cluster
	cfg.OnRetry = func(err error) {
		log.Warn(fmt.Sprintf("[Consumer clientId=%s, groupId=%s] Bootstrap broker %s disconnected", clientID(p.props), p.props.Value("group.id", ""), strings.Join(cfg.Bootstrap, ",")))
	}

	// Writes to a closed pipe must fail with EPIPE, not kill the process,
	// so that the count is still reported.
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)

	maxMsgs, err := o.maxMessages()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src := newSource(cfg, settings, p, log)
	if err == nil {
		src.start(cctx)
	}
	var n int64
	var runErr error
	if err == nil {
		n, runErr = o.process(ctx, p, maxMsgs, src, log)
	} else {
		runErr = err
	}
	cancel()
	src.stop()
	fmt.Fprintf(o.IO.ErrOut, "Processed a total of %d messages\n", n)
	if runErr != nil {
		log.Error("Unknown error when running consumer: ", "err", runErr.Error())
		return &cli.ExitError{Code: cli.ExitFailure, Err: runErr}
	}
	if *o.SystestEvents {
		fmt.Fprintln(o.IO.Out, "shutdown_complete")
	}
	if code, ok := cli.SignalExitCode(ctx); ok {
		return &cli.ExitError{Code: code}
	}
	return nil
}

func clientID(props *cli.Properties) string { return props.Value("client.id", "console-consumer") }

// maxMessages is --max-messages, or -1.
func (o *Options) maxMessages() (int64, error) {
	if !o.MaxMessages.Given() {
		return -1, nil
	}
	n, err := o.MaxMessages.Int32()
	if err != nil {
		return 0, fmt.Errorf("joptsimple.OptionException: %w", err)
	}
	return int64(n), nil
}

// process prints records until a stop condition, as ConsoleConsumer.process
// does, and returns how many it received.
func (o *Options) process(ctx context.Context, p *plan, maxMsgs int64, src *source, log *slog.Logger) (int64, error) {
	out := bufio.NewWriterSize(o.IO.Out, 64*1024)
	defer out.Flush()
	var timer *time.Timer
	var timeout <-chan time.Time
	resetTimer := func() {
		if p.timeout <= 0 {
			return
		}
		if timer == nil {
			timer = time.NewTimer(p.timeout)
			timeout = timer.C
			return
		}
		timer.Stop()
		timer.Reset(p.timeout)
	}
	resetTimer()
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()

	var n int64
	var buf []byte
	for maxMsgs < 0 || n < maxMsgs {
		var d delivery
		select {
		case <-ctx.Done():
			return n, nil
		case <-timeout:
			log.Error("Error processing message, terminating consumer process: ", "err", "org.apache.kafka.common.errors.TimeoutException")
			return n, nil
		case err := <-src.fatal:
			log.Error("Error processing message, terminating consumer process: ", "err", err.Error())
			return n, nil
		case d = <-src.out:
		}
		n++
		rec := src.record(d.msg)
		var err error
		buf, err = p.formatter.format(buf[:0], rec)
		if err != nil {
			if !*o.SkipOnError {
				out.Flush()
				return n, err
			}
			log.Error("Error processing message, skipping this message: ", "err", err.Error())
		} else {
			_, werr := out.Write(buf)
			if werr == nil && len(src.out) == 0 {
				werr = out.Flush()
			}
			if werr != nil {
				fmt.Fprintln(o.IO.ErrOut, "Unable to write to standard out, closing consumer.")
				return n, nil
			}
		}
		if d.mark != nil {
			d.mark()
		}
		resetTimer()
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(o.IO.ErrOut, "Unable to write to standard out, closing consumer.")
	}
	return n, nil
}

// plan resolves the options that need the property files, in the order of
// ConsoleConsumerOptions' constructor.
func (o *Options) plan(log *slog.Logger) (*plan, error) {
	p := &plan{partition: -1}
	fileProps := cli.NewProperties()
	if o.ConsumerConfig.Given() {
		path, err := o.ConsumerConfig.Get()
		if err != nil {
			return nil, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
		}
		if fileProps, err = cli.LoadProperties(path); err != nil {
			return nil, uncaught("java.io.FileNotFoundException", err.Error())
		}
	}
	extra := cli.ParseKeyValues(o.ConsumerProperty.Values())

	// The group id may come from three places that must agree.
	var groups []string
	add := func(g string) {
		for _, have := range groups {
			if have == g {
				return
			}
		}
		groups = append(groups, g)
	}
	if o.Group.Given() {
		g, err := o.Group.Get()
		if err != nil {
			return nil, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
		}
		add(g)
	}
	if g, ok := fileProps.Get("group.id"); ok {
		add(g)
	}
	if g, ok := extra.Get("group.id"); ok {
		add(g)
	}
	if len(groups) > 1 {
		quoted := make([]string, 0, len(groups))
		for _, g := range cli.JavaHashOrder(groups, 16) {
			quoted = append(quoted, "'"+g+"'")
		}
		return nil, cli.UsageErrorf("The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: %s", strings.Join(quoted, ", "))
	}
	if len(groups) > 0 && o.Partition.Given() {
		return nil, cli.UsageErrorf("Options group and partition cannot be specified together.")
	}

	props := cli.NewProperties()
	props.Merge(fileProps)
	props.Merge(extra)
	if v, ok := props.Get("auto.offset.reset"); ok {
		if *o.FromBeginning && v != "earliest" {
			return nil, cli.Errorf("Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', please remove one option", v)
		}
	} else if *o.FromBeginning {
		props.Set("auto.offset.reset", "earliest")
	} else {
		props.Set("auto.offset.reset", "latest")
	}
	bootstrap, err := o.Bootstrap.Get()
	if err != nil {
		return nil, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
	}
	props.Set("bootstrap.servers", bootstrap)
	if !props.Has("client.id") {
		props.Set("client.id", "console-consumer")
	}
	if o.IsolationLevel.Given() || !props.Has("isolation.level") {
		v, err := o.IsolationLevel.Get()
		if err != nil {
			return nil, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
		}
		props.Set("isolation.level", v)
	}
	if len(groups) == 0 {
		// Kafka's tool joins a throw-away group it never commits for.
		props.Set("group.id", fmt.Sprintf("console-consumer-%d", rand.IntN(100000)))
		if !props.Has("enable.auto.commit") {
			props.Set("enable.auto.commit", "false")
		}
	} else {
		p.group = groups[0]
		props.Set("group.id", p.group)
	}
	p.props = props

	if p.offset, err = o.startOffset(); err != nil {
		return nil, err
	}
	if o.TimeoutMs.Given() {
		ms, err := o.TimeoutMs.Int64()
		if err != nil {
			return nil, uncaught("joptsimple.OptionArgumentConversionException", err.Error())
		}
		if ms >= 0 {
			p.timeout = time.Duration(ms) * time.Millisecond
		}
	}
	if p.formatter, p.needTSType, err = o.buildFormatter(log); err != nil {
		return nil, err
	}

	if o.Topic.Given() {
		if p.topic, err = o.Topic.Get(); err != nil {
			return nil, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
		}
		if o.Partition.Given() {
			p.partition, _ = o.Partition.Int32()
		}
	} else {
		v := o.Include
		if !v.Given() {
			v = o.Whitelist
		}
		raw, err := v.Get()
		if err != nil {
			return nil, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
		}
		if p.include, err = regexp.Compile(`^(?:` + raw + `)$`); err != nil {
			return nil, uncaught("java.util.regex.PatternSyntaxException", err.Error())
		}
	}
	return p, nil
}

// buildFormatter makes the --formatter with its properties: the
// --formatter-config file, --key-deserializer/--value-deserializer, then
// --property. Unknown class names are reported as Kafka's
// ClassNotFoundException message with the usage.
func (o *Options) buildFormatter(log *slog.Logger) (formatter, bool, error) {
	class, err := o.Formatter.Get()
	if err != nil {
		return nil, false, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
	}
	deprecated := map[string]string{
		"kafka.tools.DefaultMessageFormatter": "org.apache.kafka.tools.consumer.DefaultMessageFormatter",
		"kafka.tools.LoggingMessageFormatter": "org.apache.kafka.tools.consumer.LoggingMessageFormatter",
		"kafka.tools.NoOpMessageFormatter":    "org.apache.kafka.tools.consumer.NoOpMessageFormatter",
	}
	if repl, ok := deprecated[class]; ok {
		fmt.Fprintf(o.IO.ErrOut, "WARNING: %s is deprecated and will be removed in the next major release. Please use %s instead\n", class, repl)
		class = repl
	}
	props := cli.NewProperties()
	if o.FormatterConfig.Given() {
		path, err := o.FormatterConfig.Get()
		if err != nil {
			return nil, false, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
		}
		if props, err = cli.LoadProperties(path); err != nil {
			return nil, false, cli.UsageErrorf("%s", err)
		}
	}
	for _, d := range []struct {
		v   *cli.Value
		key string
	}{{o.KeyDeserializer, "key.deserializer"}, {o.ValueDeser, "value.deserializer"}} {
		if v, _ := d.v.Get(); v != "" {
			props.Set(d.key, v)
		}
	}
	props.Merge(cli.ParseKeyValues(o.Property.Values()))

	switch class {
	case defaultFormatterClass, "org.apache.kafka.tools.consumer.LoggingMessageFormatter":
		f := newDefaultFormatter(props, cli.NewLogger(o.IO.ErrOut, "org.apache.kafka.tools.consumer.DefaultMessageFormatter", slog.LevelWarn))
		return f, f.printTimestamp, nil
	case "org.apache.kafka.tools.consumer.NoOpMessageFormatter":
		return noopFormatter{}, false, nil
	case "json":
		return jsonFormatter{}, true, nil
	}
	return nil, false, cli.UsageErrorf("%s", class)
}

// javaConfigError renders a client configuration error as Kafka's
// exception line.
func javaConfigError(err error) string {
	var ce *client.ConfigError
	if errors.As(err, &ce) {
		return "org.apache.kafka.common.config.ConfigException: " + ce.Error()
	}
	return "org.apache.kafka.common.KafkaException: " + err.Error()
}
