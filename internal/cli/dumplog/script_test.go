package dumplog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli/clitest"
)

// TestMain lets testscript run kafka-dump-log in-process: the test binary
// re-executes itself as the command.
func TestMain(m *testing.M) {
	clitest.Main(m, map[string]clitest.Tool{"kafka-dump-log": Main})
}

// TestScripts runs the golden scripts in testdata/script. $SEGMENTS is the
// repository's copy of the real Kafka fixture files. UPDATE_GOLDEN=1
// rewrites the expected outputs.
func TestScripts(t *testing.T) {
	segments, err := filepath.Abs(filepath.Join("..", "..", "..", "testdata", "segments"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(segments, "SOURCES.md")); err != nil {
		t.Fatalf("fixture tree missing: %v", err)
	}
	p := clitest.ScriptParams(filepath.Join("testdata", "script"))
	p.Setup = func(env *testscript.Env) error {
		env.Setenv("SEGMENTS", segments)
		return nil
	}
	testscript.Run(t, p)
}
