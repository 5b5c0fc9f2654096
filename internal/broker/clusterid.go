package broker

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkakit/kafkakit/internal/config"
	"github.com/kafkakit/kafkakit/internal/log"
)

// existingClusterID returns the cluster.id recorded in meta.properties of
// any of dirs, or "" when none has one yet. Directories that disagree are
// refused by the log manager later, with a clearer message.
func existingClusterID(dirs []string) (string, error) {
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "meta.properties"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", filepath.Join(d, "meta.properties"), err)
		}
		m, err := log.DecodeMetaProperties(b)
		if err != nil {
			return "", fmt.Errorf("%s: %w", filepath.Join(d, "meta.properties"), err)
		}
		if m.ClusterID != "" {
			return m.ClusterID, nil
		}
	}
	return "", nil
}

// derivedClusterID is the cluster id nodes of a new cluster agree on
// without a format step: a hash of the controllers' addresses they are all
// configured with (controller.quorum.voters, or the same addresses in
// controller.quorum.bootstrap.servers), in Kafka's 22-character base64url
// form.
func derivedClusterID(voters []config.Voter, bootstrap []string) string {
	var parts []string
	for _, v := range voters {
		parts = append(parts, strings.ToLower(v.Host)+":"+strconv.Itoa(v.Port))
	}
	if len(parts) == 0 {
		for _, b := range bootstrap {
			parts = append(parts, strings.ToLower(strings.TrimSpace(b)))
		}
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte("kafkakit cluster\\n" + strings.Join(parts, ",")))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
