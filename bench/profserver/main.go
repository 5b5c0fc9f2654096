// Command profserver is kafka-server for profiling: the same broker
// (internal/broker) started with the same --override options, which also
// serves bench/profhttp on --pprof so that the benchmark suite can take a
// CPU profile of exactly one run. It is a benchmark tool, not part of the
// product; users run cmd/kafka-server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kafkakit/kafkakit/bench/profhttp"
	"github.com/kafkakit/kafkakit/internal/broker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	var overrides []string
	fs := flag.NewFlagSet("profserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Func("override", "broker property key=value (repeatable), as kafka-server takes it", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("expected property=value, got %q", s)
		}
		overrides = append(overrides, s)
		return nil
	})
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	pprofAddr := fs.String("pprof", "127.0.0.1:6060", "address to serve pprof and the profile start/stop endpoints on")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "profserver: -log-level:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ln, err := net.Listen("tcp", *pprofAddr)
	if err != nil {
		fmt.Fprintln(stderr, "profserver: pprof:", err)
		return 1
	}
	srv := &http.Server{Handler: profhttp.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	b, err := broker.Start(broker.Options{Overrides: overrides, Logger: logger})
	if err != nil {
		fmt.Fprintln(stderr, "profserver:", err)
		return 1
	}
	<-ctx.Done()
	if err := b.Close(); err != nil {
		fmt.Fprintln(stderr, "profserver: shutdown:", err)
		return 1
	}
	return 0
}
