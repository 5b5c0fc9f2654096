package log

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Checkpoint file names in a log directory (reference section 10).
const (
	RecoveryPointCheckpointFile  = "recovery-point-offset-checkpoint"
	ReplicationCheckpointFile    = "replication-offset-checkpoint"
	LogStartOffsetCheckpointFile = "log-start-offset-checkpoint"
	CleanerCheckpointFile        = "cleaner-offset-checkpoint"
	LeaderEpochCheckpointFile    = "leader-epoch-checkpoint"
)

// checkpointVersion is the only version Kafka writes for these files.
const checkpointVersion = 0

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string {
	return tp.Topic + "-" + strconv.FormatInt(int64(tp.Partition), 10)
}

// EpochEntry is one line of leader-epoch-checkpoint: leader epoch Epoch
// wrote its first batch at StartOffset.
type EpochEntry struct {
	Epoch       int32
	StartOffset int64
}

// DecodeOffsetCheckpoint parses the text of a log-directory checkpoint file
// (recovery point, replication, log start or cleaner offsets):
//
//	0
//	<N>
//	<topic> <partition> <offset>   (N lines)
//
// An empty input is an empty checkpoint, as Kafka reads a 0-byte file. The
// version must be 0 and the entry count must match N.
func DecodeOffsetCheckpoint(b []byte) (map[TopicPartition]int64, error) {
	lines, err := checkpointLines(b)
	if err != nil || lines == nil {
		return map[TopicPartition]int64{}, err
	}
	out := make(map[TopicPartition]int64, len(lines))
	for i, fields := range lines {
		if len(fields) != 3 {
			return nil, fmt.Errorf("checkpoint entry %d: want \"topic partition offset\", have %d fields", i+1, len(fields))
		}
		p, err := strconv.ParseInt(fields[1], 10, 32)
		if err != nil || p < 0 {
			return nil, fmt.Errorf("checkpoint entry %d: bad partition %q", i+1, fields[1])
		}
		off, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("checkpoint entry %d: bad offset %q", i+1, fields[2])
		}
		tp := TopicPartition{Topic: fields[0], Partition: int32(p)}
		if _, dup := out[tp]; dup {
			return nil, fmt.Errorf("checkpoint entry %d: %s appears twice", i+1, tp)
		}
		out[tp] = off
	}
	return out, nil
}

// EncodeOffsetCheckpoint renders entries in the checkpoint text format,
// sorted by topic then partition so the output is deterministic.
func EncodeOffsetCheckpoint(m map[TopicPartition]int64) []byte {
	keys := make([]TopicPartition, 0, len(m))
	for tp := range m {
		keys = append(keys, tp)
	}
	slices.SortFunc(keys, func(a, b TopicPartition) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d\n%d\n", checkpointVersion, len(keys))
	for _, tp := range keys {
		fmt.Fprintf(&buf, "%s %d %d\n", tp.Topic, tp.Partition, m[tp])
	}
	return buf.Bytes()
}

// DecodeEpochCheckpoint parses leader-epoch-checkpoint: version 0, a count,
// then "<epoch> <startOffset>" lines.
func DecodeEpochCheckpoint(b []byte) ([]EpochEntry, error) {
	lines, err := checkpointLines(b)
	if err != nil {
		return nil, err
	}
	out := make([]EpochEntry, 0, len(lines))
	for i, fields := range lines {
		if len(fields) != 2 {
			return nil, fmt.Errorf("leader epoch entry %d: want \"epoch offset\", have %d fields", i+1, len(fields))
		}
		e, err := strconv.ParseInt(fields[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("leader epoch entry %d: bad epoch %q", i+1, fields[0])
		}
		off, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("leader epoch entry %d: bad offset %q", i+1, fields[1])
		}
		out = append(out, EpochEntry{Epoch: int32(e), StartOffset: off})
	}
	return out, nil
}

// EncodeEpochCheckpoint renders leader-epoch-checkpoint in entry order.
func EncodeEpochCheckpoint(entries []EpochEntry) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d\n%d\n", checkpointVersion, len(entries))
	for _, e := range entries {
		fmt.Fprintf(&buf, "%d %d\n", e.Epoch, e.StartOffset)
	}
	return buf.Bytes()
}

// checkpointLines checks the version and count header and returns the
// whitespace-separated fields of each entry line. It returns nil, nil for
// an empty input.
func checkpointLines(b []byte) ([][]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	text := string(b)
	if !strings.HasSuffix(text, "\n") {
		text += "\n" // tolerate a missing final newline
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 2 {
		return nil, errors.New("checkpoint: missing entry count line")
	}
	version, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: bad version line %q", lines[0])
	}
	if version != checkpointVersion {
		return nil, fmt.Errorf("checkpoint: unrecognized version %d", version)
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("checkpoint: bad entry count line %q", lines[1])
	}
	body := lines[2:]
	if len(body) != n {
		return nil, fmt.Errorf("checkpoint: header says %d entries, file has %d", n, len(body))
	}
	out := make([][]string, n)
	for i, l := range body {
		out[i] = strings.Fields(l)
	}
	return out, nil
}

// ReadOffsetCheckpoint reads a log-directory checkpoint file. A missing
// file is an empty checkpoint.
func ReadOffsetCheckpoint(path string) (map[TopicPartition]int64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[TopicPartition]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := DecodeOffsetCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// WriteOffsetCheckpoint atomically replaces a log-directory checkpoint file.
func WriteOffsetCheckpoint(path string, m map[TopicPartition]int64) error {
	if err := writeFileAtomic(path, EncodeOffsetCheckpoint(m)); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	return nil
}
