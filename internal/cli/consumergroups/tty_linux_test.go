package consumergroups

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// openPTY opens a pseudo-terminal and returns its controlling side and the
// terminal the tool writes to.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	// Non-blocking, so that read deadlines work on it.
	fd, err := syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	ptm = os.NewFile(uintptr(fd), "/dev/ptmx")
	unlock := int32(0)
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatalf("unlock pty: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("pty number: %v", errno)
	}
	pts, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { pts.Close(); ptm.Close() })
	return ptm, pts
}

// TestColourOnTerminal runs --describe with stdout on a real terminal: the
// LAG column is coloured, and nothing is when NO_COLOR is set or stdout is
// not a terminal.
func TestColourOnTerminal(t *testing.T) {
	bin := serverBin(t)
	p, err := testbroker.StartProcess(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)

	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Addr), kgo.DefaultProduceTopic("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var offs kadm.Offsets
	offs.AddOffset("t", 0, 1, -1)
	if _, err := adm.CommitOffsets(ctx, "g", offs); err != nil {
		t.Fatal(err)
	}

	describe := func(out io.Writer) int {
		return Main(ctx, []string{"--bootstrap-server", p.Addr, "--describe", "--group", "g"},
			cli.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: io.Discard})
	}
	// The tool has written everything by the time Main returns; read until
	// the terminal has nothing more.
	readTerminal := func(ptm *os.File) string {
		t.Helper()
		buf := make([]byte, 4096)
		var got []byte
		for {
			_ = ptm.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := ptm.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil || n == 0 {
				return string(got)
			}
		}
	}

	t.Run("terminal", func(t *testing.T) {
		if _, set := os.LookupEnv("NO_COLOR"); set {
			t.Skip("NO_COLOR is set in the environment")
		}
		ptm, pts := openPTY(t)
		if code := describe(pts); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		got := readTerminal(ptm)
		if !strings.Contains(got, "\x1b[33m2\x1b[0m") {
			t.Errorf("terminal output %q has no yellow lag of 2", got)
		}
	})
	t.Run("NO_COLOR", func(t *testing.T) {
		t.Setenv("NO_COLOR", "1")
		ptm, pts := openPTY(t)
		if code := describe(pts); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		if got := readTerminal(ptm); strings.Contains(got, "\x1b[") {
			t.Errorf("NO_COLOR output %q holds escape codes", got)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		var b bytes.Buffer
		if code := describe(&b); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		want := "\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\ng               t               0          1               3               2               -               -               -\n"
		if b.String() != want {
			t.Errorf("stdout:\ngot  %q\nwant %q", b.String(), want)
		}
	})
}
