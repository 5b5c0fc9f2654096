// Command kfakebroker runs franz-go's kfake (github.com/twmb/franz-go/pkg/kfake)
// as a standalone single-node Kafka broker. It exists only as the reference
// broker of the benchmark suite in bench/: the suite starts it as a separate
// process, exactly as it starts kafka-server, so both brokers are measured the
// same way (exec to ready, CPU seconds and RSS from /proc/<pid>). It is not
// part of the product and is never shipped.
//
// With -data-dir the broker keeps its partitions in segment files under that
// directory (written through the page cache, fsynced on roll and shutdown,
// as Kafka does with its default flush settings); -sync fsyncs every batch.
// Without -data-dir everything stays in memory.
//
// It prints its listen address on stdout once it accepts connections and
// stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkakit/kafkakit/bench/profhttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are kfakebroker's flags.
type options struct {
	port       int
	dataDir    string
	sync       bool
	partitions int
	pprofAddr  string
	logLevel   string
	configs    []string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("kfakebroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.port, "port", 9092, "TCP port on 127.0.0.1 to listen on (0 picks a free one)")
	fs.StringVar(&o.dataDir, "data-dir", "", "persist partitions and groups under this directory (empty: in memory)")
	fs.BoolVar(&o.sync, "sync", false, "fsync every batch (only with -data-dir)")
	fs.IntVar(&o.partitions, "partitions", 1, "partitions of auto-created topics")
	fs.StringVar(&o.pprofAddr, "pprof", "", "serve pprof and bench/profhttp's profile start/stop on this address, e.g. 127.0.0.1:6061 (empty: off)")
	fs.StringVar(&o.logLevel, "log-level", "none", "kfake log level: none, error, warn, info or debug")
	fs.Func("broker-config", "broker config key=value (repeatable)", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("expected key=value, got %q", s)
		}
		o.configs = append(o.configs, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.sync && o.dataDir == "" {
		return nil, errors.New("-sync needs -data-dir")
	}
	if o.port < 0 || o.port > 65535 {
		return nil, fmt.Errorf("-port %d out of range", o.port)
	}
	if o.partitions < 1 {
		return nil, fmt.Errorf("-partitions %d must be at least 1", o.partitions)
	}
	return o, nil
}

func logLevel(s string) (kfake.LogLevel, error) {
	switch strings.ToLower(s) {
	case "none":
		return kfake.LogLevelNone, nil
	case "error":
		return kfake.LogLevelError, nil
	case "warn":
		return kfake.LogLevelWarn, nil
	case "info":
		return kfake.LogLevelInfo, nil
	case "debug":
		return kfake.LogLevelDebug, nil
	}
	return 0, fmt.Errorf("unknown -log-level %q: use none, error, warn, info or debug", s)
}

// run starts the broker and blocks until ctx ends; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "kfakebroker:", err)
		return 2
	}
	level, err := logLevel(o.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "kfakebroker:", err)
		return 2
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(o.port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(o.partitions),
		kfake.WithLogger(kfake.BasicLogger(stderr, level)),
	}
	if o.dataDir != "" {
		opts = append(opts, kfake.DataDir(o.dataDir))
	}
	if o.sync {
		opts = append(opts, kfake.SyncWrites())
	}
	if len(o.configs) > 0 {
		m := make(map[string]string, len(o.configs))
		for _, kv := range o.configs {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		opts = append(opts, kfake.BrokerConfigs(m))
	}

	var srv *http.Server
	if o.pprofAddr != "" {
		ln, err := net.Listen("tcp", o.pprofAddr)
		if err != nil {
			fmt.Fprintln(stderr, "kfakebroker: pprof:", err)
			return 1
		}
		srv = &http.Server{Handler: profhttp.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	}

	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "kfakebroker:", err)
		return 1
	}
	for _, a := range c.ListenAddrs() {
		fmt.Fprintln(stdout, a)
	}
	<-ctx.Done()
	c.Close()
	return 0
}
