package cluster

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildKgoTests compiles franz-go's pkg/kgo tests, from the module cache
// at the version go.mod requires, into dir. It returns "" and the reason
// when they cannot be built here (module not downloaded, offline).
func buildKgoTests(t *testing.T, dir string) (string, string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-json", "github.com/twmb/franz-go")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		return "", "go list -m github.com/twmb/franz-go: " + err.Error()
	}
	var mod struct{ Dir, Version string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", "franz-go is not in the module cache"
	}
	bin := filepath.Join(dir, "kgo.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./pkg/kgo")
	build.Dir = mod.Dir
	if out, err := build.CombinedOutput(); err != nil {
		return "", "build franz-go " + mod.Version + " pkg/kgo tests: " + err.Error() + "\n" + string(out)
	}
	return bin, ""
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..")
}

// TestKgoIntegration runs a subset of franz-go's own integration tests
// (kafka-protocol.md §3.1) against the three-node cluster: TestGroupETL
// produces records, consumes them through consumer groups with each
// balancer while members join and leave, re-produces and checks every
// record exactly once and in order per partition, on topics with
// replication factor 3. KGO_TEST_RUN overrides the test pattern.
func TestKgoIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("franz-go integration tests take a minute or more")
	}
	bin, why := buildKgoTests(t, t.TempDir())
	if bin == "" {
		t.Skip(why)
	}
	c := startCluster(t, clusterConfig{overrides: []string{
		"auto.create.topics.enable=true",
		// The suite loads both cores: keep the quorum from electing on
		// every scheduling hiccup.
		"controller.quorum.fetch.timeout.ms=2000",
		"controller.quorum.election.timeout.ms=2000",
		"broker.session.timeout.ms=9000",
		"replica.lag.time.max.ms=30000",
	}})
	pattern := os.Getenv("KGO_TEST_RUN")
	if pattern == "" {
		pattern = "^TestGroupETL$"
	}
	cmd := exec.Command(bin, "-test.run", pattern, "-test.timeout", "5m", "-test.v")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"KGO_SEEDS="+c.Bootstrap(),
		"KGO_TEST_RF=3",
		"KGO_TEST_RECORDS=20000",
		"KGO_LOG_LEVEL=none",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	passed := regexp.MustCompile(`(?m)^--- PASS: \S+`).FindAllString(out.String(), -1)
	failed := regexp.MustCompile(`(?m)^--- FAIL: \S+`).FindAllString(out.String(), -1)
	t.Logf("franz-go %s: %d passed, %d failed in %s", pattern, len(passed), len(failed), time.Since(start).Round(time.Second))
	if err != nil || len(failed) > 0 || len(passed) == 0 {
		t.Errorf("franz-go tests %s: %v\n%s", pattern, err, tail(out.String(), 80))
	}
	for _, f := range failed {
		t.Errorf("%s", strings.TrimPrefix(f, "--- "))
	}
}
