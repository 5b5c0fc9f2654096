package topics

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli/clitest"
)

func TestMain(m *testing.M) {
	clitest.Main(m, map[string]clitest.Tool{"kafka-topics": Main})
}

// TestScripts runs testdata/script/*.txtar against a broker from
// internal/testbroker. UPDATE_GOLDEN=1 rewrites the cmp goldens.
func TestScripts(t *testing.T) {
	testscript.Run(t, clitest.Params(t, "testdata/script"))
}
