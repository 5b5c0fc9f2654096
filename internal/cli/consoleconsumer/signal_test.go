package consoleconsumer

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// lockedBuffer is a bytes.Buffer safe for the tool's goroutines and the
// test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSignalEndsCleanly runs the consumer in process against a real broker,
// waits until it printed the records, then delivers what SIGINT and SIGTERM
// deliver (a context cancelled with the signal as cause): the consumer
// reports its count and exits as a JVM stopped by the signal.
func TestSignalEndsCleanly(t *testing.T) {
	b, err := testbroker.Start(testbroker.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.DefaultProduceTopic("s"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "s"); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("one")}, &kgo.Record{Value: []byte("two")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			outR, outW := io.Pipe()
			var errOut lockedBuffer
			runCtx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			done := make(chan int, 1)
			go func() {
				done <- Main(runCtx, []string{"--bootstrap-server", b.Addr, "--topic", "s", "--from-beginning"},
					cli.IOStreams{In: strings.NewReader(""), Out: outW, ErrOut: &errOut})
				outW.Close()
			}()
			lines := make(chan string)
			go func() {
				sc := bufio.NewScanner(outR)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			for _, want := range []string{"one", "two"} {
				select {
				case got := <-lines:
					if got != want {
						t.Fatalf("printed %q, want %q", got, want)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("no %q within 20s; stderr: %s", want, errOut.String())
				}
			}
			stop(cli.Signal{Signal: tc.sig})
			select {
			case code := <-done:
				if code != tc.code {
					t.Errorf("exit code %d, want %d", code, tc.code)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("consumer did not stop")
			}
			if got := errOut.String(); got != "Processed a total of 2 messages\n" {
				t.Errorf("stderr = %q", got)
			}
		})
	}
}
