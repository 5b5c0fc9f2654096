package topics

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/clitest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kafka-topics": func() {
			os.Exit(Main(context.Background(), os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
		},
	})
}

// TestScripts runs testdata/script/*.txtar against a broker from
// internal/testbroker. UPDATE_GOLDEN=1 rewrites the cmp goldens.
func TestScripts(t *testing.T) {
	testscript.Run(t, clitest.Params(t, "testdata/script"))
}
