package dumplog

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// TestMain lets testscript run kafka-dump-log in-process: the test binary
// re-executes itself as the command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kafka-dump-log": func() {
			os.Exit(Main(context.Background(), os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
		},
	})
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
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SEGMENTS", segments)
			return nil
		},
	})
}
