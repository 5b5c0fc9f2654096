package metadata

import (
	"fmt"
	"slices"
	"testing"
)

// javaRandom draws like Kafka's test MockRandom (server-common
// org.apache.kafka.server.util.MockRandom, seed 17) through
// java.util.Random.nextInt(bound) and Collections.shuffle, so the placer fed
// with it must reproduce the assignments Kafka's StripedReplicaPlacerTest
// asserts.
type javaRandom struct{ state int64 }

func newJavaRandom() *javaRandom { return &javaRandom{state: 17} }

func (r *javaRandom) next(bits int) int32 {
	r.state = r.state*2862933555777941757 + 3037000493
	return int32(uint64(r.state) >> (64 - bits))
}

// IntN is java.util.Random.nextInt(bound), including its rejection loop in
// wrapping 32-bit arithmetic.
func (r *javaRandom) IntN(bound int) int {
	b := int32(bound)
	x := r.next(31)
	m := b - 1
	if b&m == 0 {
		return int((int64(b) * int64(x)) >> 31)
	}
	for u := x; ; u = r.next(31) {
		x = u % b
		if u-x+m >= 0 {
			break
		}
	}
	return int(x)
}

// Shuffle is Collections.shuffle for a random-access list.
func (r *javaRandom) Shuffle(n int, swap func(i, j int)) {
	for i := n; i > 1; i-- {
		swap(i-1, r.IntN(i))
	}
}

// firstRand always draws 0 and never reorders: the placer then shows its
// bare striping, which the hand-derived tables below follow.
type firstRand struct{}

func (firstRand) IntN(int) int                { return 0 }
func (firstRand) Shuffle(int, func(i, j int)) {}

func brokersOf(specs ...string) []placementBroker {
	// Each spec is "id", "id:rack", "id!" (fenced) or "id:rack!".
	var out []placementBroker
	for _, s := range specs {
		var b placementBroker
		if s[len(s)-1] == '!' {
			b.fenced = true
			s = s[:len(s)-1]
		}
		var id int
		var rack string
		if n, _ := fmt.Sscanf(s, "%d:%s", &id, &rack); n == 0 {
			panic("bad broker spec " + s)
		}
		b.id, b.rack = int32(id), rack
		out = append(out, b)
	}
	return out
}

// TestRackListKafkaVectors replays StripedReplicaPlacerTest's RackList cases
// (Kafka 3.9, metadata/src/test/java/org/apache/kafka/metadata/placement).
func TestRackListKafkaVectors(t *testing.T) {
	tests := []struct {
		name    string
		brokers []placementBroker
		rf      int
		want    [][]int32
	}{
		{
			name:    "testAvoidFencedReplicaIfPossibleOnSingleRack",
			brokers: brokersOf("3", "1!", "0", "4", "2"),
			rf:      4,
			want:    [][]int32{{3, 4, 0, 2}, {4, 0, 2, 3}, {0, 2, 3, 4}, {2, 3, 4, 0}, {0, 4, 3, 2}},
		},
		{
			name:    "testPlacementOnFencedReplicaOnSingleRack",
			brokers: brokersOf("3", "1!", "2"),
			rf:      3,
			want:    [][]int32{{3, 2, 1}, {2, 3, 1}, {3, 2, 1}, {2, 3, 1}},
		},
		{
			name:    "testRackListWithMultipleRacks",
			brokers: brokersOf("11:1", "10:1", "30:3", "31:3", "21:2", "20:2!"),
			rf:      4,
			want:    [][]int32{{11, 21, 31, 10}, {21, 30, 10, 20}, {31, 11, 21, 30}},
		},
		{
			name:    "testRackListWithInvalidRacks",
			brokers: brokersOf("11:1", "10:1", "30:3!", "31:3!", "20:2!", "21:2!", "41:4", "40:4!"),
			rf:      4,
			want:    [][]int32{{41, 11, 21, 30}, {10, 20, 31, 41}, {41, 21, 30, 11}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rl := newRackList(newJavaRandom(), tt.brokers)
			for i, want := range tt.want {
				got, err := rl.place(tt.rf)
				if err != nil {
					t.Fatalf("place %d: %v", i, err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("place %d: got %v, want %v", i, got, want)
				}
			}
		})
	}
}

// TestPlaceReplicasKafkaVectors replays StripedReplicaPlacerTest's
// placer-level cases.
func TestPlaceReplicasKafkaVectors(t *testing.T) {
	t.Run("testSuccessfulPlacement", func(t *testing.T) {
		got, err := placeReplicas(newJavaRandom(), brokersOf("0", "3", "2", "1"), 5, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]int32{{2, 3, 0}, {3, 0, 1}, {0, 1, 2}, {1, 2, 3}, {1, 0, 2}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("testMultiPartitionTopicPlacementOnSingleUnfencedBroker", func(t *testing.T) {
		got, err := placeReplicas(newJavaRandom(), brokersOf("0", "1!"), 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]int32{{0}, {0}, {0}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("testEvenDistribution", func(t *testing.T) {
		got, err := placeReplicas(newJavaRandom(), brokersOf("0", "1", "2", "3"), 200, 2)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[[2]int32]int{}
		for _, r := range got {
			counts[[2]int32{r[0], r[1]}]++
		}
		want := map[[2]int32]int{
			{0, 1}: 14, {0, 2}: 22, {0, 3}: 14, {1, 0}: 17, {1, 2}: 17, {1, 3}: 16,
			{2, 0}: 13, {2, 1}: 17, {2, 3}: 20, {3, 0}: 20, {3, 1}: 19, {3, 2}: 11,
		}
		for k, w := range want {
			if counts[k] != w {
				t.Errorf("count of %v: got %d, want %d", k, counts[k], w)
			}
		}
	})
}

func TestPlaceReplicasErrors(t *testing.T) {
	tests := []struct {
		name    string
		brokers []placementBroker
		rf      int
		want    string
	}{
		{"all fenced", brokersOf("11:1!", "10:1!"), 1, "All brokers are currently fenced."},
		{"no brokers", nil, 1, "All brokers are currently fenced."},
		{"not enough brokers", brokersOf("11:1", "10:1"), 3, "The target replication factor of 3 cannot be reached because only 2 broker(s) are registered."},
		{"zero replication factor", brokersOf("11:1", "10:1"), 0, "Invalid replication factor 0: the replication factor must be positive."},
		{"negative replication factor", brokersOf("11:1", "10:1"), -1, "Invalid replication factor -1: the replication factor must be positive."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := placeReplicas(newJavaRandom(), tt.brokers, 1, tt.rf)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestPlaceReplicasStriping pins the striped pattern on 3 and 5 brokers,
// with and without racks. The expected tables were worked out by hand from
// StripedReplicaPlacer.RackList.place with every random draw 0 and no
// shuffling: each partition's list starts one broker (and one rack) further
// than the previous one; after as many partitions as unfenced brokers the
// epoch resets and the rotation starts over.
func TestPlaceReplicasStriping(t *testing.T) {
	tests := []struct {
		name    string
		brokers []placementBroker
		n, rf   int
		want    [][]int32
	}{
		{
			name:    "3 brokers rf 3",
			brokers: brokersOf("1", "2", "3"),
			n:       6, rf: 3,
			want: [][]int32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}, {1, 2, 3}, {2, 3, 1}, {3, 1, 2}},
		},
		{
			name:    "3 brokers rf 2",
			brokers: brokersOf("3", "1", "2"),
			n:       4, rf: 2,
			want: [][]int32{{1, 2}, {2, 3}, {3, 1}, {1, 2}},
		},
		{
			name:    "3 brokers one per rack",
			brokers: brokersOf("1:a", "2:b", "3:c"),
			n:       4, rf: 3,
			want: [][]int32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}, {1, 2, 3}},
		},
		{
			name:    "5 brokers rf 3",
			brokers: brokersOf("1", "2", "3", "4", "5"),
			n:       6, rf: 3,
			want: [][]int32{{1, 2, 3}, {2, 3, 4}, {3, 4, 5}, {4, 5, 1}, {5, 1, 2}, {1, 2, 3}},
		},
		{
			name:    "5 brokers in 3 racks",
			brokers: brokersOf("1:a", "2:a", "3:b", "4:b", "5:c"),
			n:       6, rf: 3,
			want: [][]int32{{1, 3, 5}, {4, 5, 2}, {5, 1, 3}, {2, 4, 5}, {3, 5, 1}, {5, 2, 4}},
		},
		{
			name:    "fenced broker only as a follower",
			brokers: brokersOf("1", "2!", "3"),
			n:       3, rf: 3,
			want: [][]int32{{1, 3, 2}, {3, 1, 2}, {1, 3, 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := placeReplicas(firstRand{}, tt.brokers, tt.n, tt.rf)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
