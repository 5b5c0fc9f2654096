// Package release checks the release configuration against the tree.
package release

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// TestEveryCommandHasABuild fails when a directory under cmd/ has no build
// entry in goreleaser.yaml, or an entry names a command that does not exist.
func TestEveryCommandHasABuild(t *testing.T) {
	root := filepath.Join("..", "..")
	cfg, err := os.ReadFile(filepath.Join(root, "goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^version: 2$`).Match(cfg) {
		t.Fatal("goreleaser.yaml must use the version 2 schema")
	}
	built := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+main: \./cmd/([^\s]+)$`).FindAllSubmatch(cfg, -1) {
		built[string(m[1])] = true
	}
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range entries {
		if e.IsDir() {
			cmds = append(cmds, e.Name())
		}
	}
	sort.Strings(cmds)
	for _, c := range cmds {
		if !built[c] {
			t.Errorf("cmd/%s has no build entry in goreleaser.yaml", c)
		}
		delete(built, c)
	}
	for c := range built {
		t.Errorf("goreleaser.yaml builds ./cmd/%s, which does not exist", c)
	}
	for _, want := range []string{"CGO_ENABLED=0", "goos: [linux, darwin, windows]", "goarch: [amd64, arm64]",
		"internal/buildinfo.Version={{.Version}}", "formats: [tar.gz]", "formats: [zip]", "checksums.txt"} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).Match(cfg) {
			t.Errorf("goreleaser.yaml lacks %q", want)
		}
	}
}
