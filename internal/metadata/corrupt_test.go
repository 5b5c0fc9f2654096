package metadata

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenDamagedStore checks that a damaged metadata log store fails Open
// with an error instead of crashing the process.
func TestOpenDamagedStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		snapshot bool
		damage   func(t *testing.T, path string)
	}{
		{"truncated to nothing", false, func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated mid page", false, func(t *testing.T, path string) {
			if err := os.Truncate(path, 6000); err != nil {
				t.Fatal(err)
			}
		}},
		{"meta pages zeroed", false, func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			clear(b[:8192])
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage", false, func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("not a bolt database at all, just some text"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"snapshot with a flipped bit", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			n := openSingle(t, dir, ControllerConfig{})
			registerBrokers(t, n.Controller(), "")
			createTopic(t, n.Controller(), "t", 1, 1)
			if tt.snapshot {
				if err := n.Snapshot(); err != nil {
					t.Fatal(err)
				}
			}
			n.Close()
			if tt.snapshot {
				damageSnapshot(t, dir)
			} else {
				tt.damage(t, filepath.Join(dir, LogDirName, "raft.db"))
			}
			n2, err := Open(Config{NodeID: 1, Dir: dir, ClusterID: testClusterID, Logger: testLogger()})
			if err == nil {
				n2.Close()
				t.Fatal("Open of a damaged store: got nil error")
			}
			t.Logf("Open: %v", err)
		})
	}
}

// damageSnapshot flips one bit of the state of the only snapshot in dir.
func damageSnapshot(t *testing.T, dir string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, LogDirName, "snapshots", "*", "state.bin"))
	if err != nil || len(paths) != 1 {
		t.Fatalf("snapshots: got %v, %v, want one", paths, err)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(paths[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
}
