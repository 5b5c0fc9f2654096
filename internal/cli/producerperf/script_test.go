package producerperf

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkakit/kafkakit/internal/cli/clitest"
	"github.com/kafkakit/kafkakit/internal/cli/producerperf/perftest"
	"github.com/kafkakit/kafkakit/internal/cli/topics"
)

func TestMain(m *testing.M) {
	clitest.Main(m, map[string]clitest.Tool{
		"kafka-producer-perf-test": Main,
		"kafka-topics":             topics.Main,
	})
}

// TestScripts runs testdata/script/*.txtar against a kafka-server process
// built from this checkout, or against the cluster in
// $KAFKAKIT_TEST_BOOTSTRAP. UPDATE_GOLDEN=1 rewrites the cmp goldens.
func TestScripts(t *testing.T) {
	testscript.Run(t, perftest.Params(t, "testdata/script"))
}
