package testbroker

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// BuildCommands builds the named commands of this module (cmd/<name>) into
// dir with one go build and returns their paths by name.
func BuildCommands(dir string, names ...string) (map[string]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	out := map[string]string{}
	for _, n := range names {
		args = append(args, "./cmd/"+n)
		out[n] = filepath.Join(dir, n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %v: %v\n%s", names, err, b)
	}
	return out, nil
}
