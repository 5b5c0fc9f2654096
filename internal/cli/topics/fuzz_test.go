package topics

import (
	"testing"
)

func FuzzParseReplicaAssignment(f *testing.F) {
	f.Add("")
	f.Add("1:")
	f.Add("1:2,2:3,3:1")
	f.Add("1:2,2:3,3:1,,x:\x00")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseReplicaAssignment(s)
		if err != nil {
			return
		}
		for i, r := range got {
			if len(r) != len(got[0]) {
				t.Fatalf("partition %d has %d replicas, partition 0 has %d", i, len(r), len(got[0]))
			}
			if len(duplicates(r)) > 0 {
				t.Fatalf("partition %d has duplicates: %v", i, r)
			}
		}
	})
}

func FuzzParseUUID(f *testing.F) {
	f.Add("")
	f.Add("AAAAAAAAAAA")
	f.Add("phd4dFTxaAVZB20nQSt1AQ")
	f.Add("phd4dFTxaAVZB20nQSt1AQ==!!")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseUUID(s)
		if err != nil {
			return
		}
		// A decoded id encodes back to a form that decodes to it again.
		again, err := parseUUID(formatUUID(id))
		if err != nil || again != id {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
