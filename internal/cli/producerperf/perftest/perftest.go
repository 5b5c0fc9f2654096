// Package perftest is the testscript harness of the perf-test tools'
// golden tests. On top of internal/cli/clitest's commands it adds:
//
//	perfbroker NAME   set $NAME to the address of a broker to test against
//
// The broker is the one named by $KAFKAKIT_TEST_BOOTSTRAP when that is set
// (any real Kafka cluster: the goldens hold for Apache Kafka as for
// kafka-server), otherwise a kafka-server process built from this checkout,
// listening on a free port with its data under $WORK/NAME and stopped when
// the script ends. Every script also gets $RUN, a random suffix for topic
// and group names, so that scripts can share a long-lived cluster.
package perftest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli/clitest"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// BootstrapEnv names the variable that points the goldens at an existing
// cluster.
const BootstrapEnv = "KAFKAKIT_TEST_BOOTSTRAP"

// Params returns testscript parameters for the scripts in dir.
func Params(t *testing.T, dir string) testscript.Params {
	p := clitest.Params(t, dir)
	s := &server{binDir: t.TempDir()}
	p.Cmds["perfbroker"] = s.cmd
	p.Setup = func(env *testscript.Env) error {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		env.Setenv("RUN", hex.EncodeToString(b[:]))
		return nil
	}
	return p
}

// server builds kafka-server once per test and starts one process per
// script that asks for it.
type server struct {
	binDir string
	once   sync.Once
	bin    string
	err    error
}

func (s *server) cmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: perfbroker NAME")
	}
	if addr := os.Getenv(BootstrapEnv); addr != "" {
		ts.Setenv(args[0], addr)
		return
	}
	s.once.Do(func() { s.bin, s.err = testbroker.BuildServer(s.binDir) })
	ts.Check(s.err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	p, err := testbroker.StartProcess(s.bin, filepath.Clean(dir))
	ts.Check(err)
	ts.Defer(func() {
		if err := p.Stop(20 * time.Second); err != nil {
			ts.Logf("stop kafka-server: %v", err)
		}
	})
	ts.Setenv(args[0], p.Addr)
}
