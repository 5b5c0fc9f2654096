package log

import (
	"errors"
	"fmt"
	"os"
)

// epochCache is the leader epoch cache of one partition, persisted in
// leader-epoch-checkpoint. Entries are ordered by epoch and by start offset,
// both strictly increasing. Callers hold the owning Log's write lock for
// changes and at least its read lock for lookups.
type epochCache struct {
	path    string
	entries []EpochEntry
	// dirty says entries changed without being written (an epoch assigned
	// to an empty log); the next write, flush or close writes them.
	dirty bool
}

// errBadEpochCheckpoint marks a leader-epoch-checkpoint that cannot be
// parsed.
var errBadEpochCheckpoint = errors.New("unreadable leader epoch checkpoint")

// loadEpochCache reads the checkpoint (a missing file is an empty cache)
// and drops any entries that break monotonicity, as Kafka does when it
// rebuilds the cache from the file.
func loadEpochCache(path string) (*epochCache, error) {
	c := &epochCache{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	entries, err := DecodeEpochCheckpoint(b)
	if err != nil {
		return c, fmt.Errorf("%w %s: %w", errBadEpochCheckpoint, path, err)
	}
	for _, e := range entries {
		if e.Epoch >= 0 && e.StartOffset >= 0 {
			c.insert(e)
		}
	}
	return c, nil
}

func (c *epochCache) write() error {
	if err := writeFileAtomic(c.path, EncodeEpochCheckpoint(c.entries)); err != nil {
		return fmt.Errorf("write leader epoch checkpoint: %w", err)
	}
	c.dirty = false
	return nil
}

// insert adds e after removing the entries it contradicts: any with an
// epoch or start offset at or above its own.
func (c *epochCache) insert(e EpochEntry) {
	for len(c.entries) > 0 {
		last := c.entries[len(c.entries)-1]
		if last.Epoch >= e.Epoch || last.StartOffset >= e.StartOffset {
			c.entries = c.entries[:len(c.entries)-1]
			continue
		}
		break
	}
	c.entries = append(c.entries, e)
}

// assign records that epoch started at startOffset. As in Kafka's
// LeaderEpochFileCache.assign, nothing changes when the latest entry
// already has this epoch and a start offset at or below startOffset.
func (c *epochCache) assign(epoch int32, startOffset int64) (bool, error) {
	if !c.assignNoWrite(epoch, startOffset) {
		return false, nil
	}
	return true, c.write()
}

// assignNoWrite is assign without persisting, for recovery, which writes
// the file once at the end.
func (c *epochCache) assignNoWrite(epoch int32, startOffset int64) bool {
	if epoch < 0 || startOffset < 0 {
		return false
	}
	if n := len(c.entries); n > 0 {
		last := c.entries[n-1]
		if last.Epoch == epoch && startOffset >= last.StartOffset {
			return false
		}
	}
	c.insert(EpochEntry{Epoch: epoch, StartOffset: startOffset})
	return true
}

func (c *epochCache) latest() (EpochEntry, bool) {
	if len(c.entries) == 0 {
		return EpochEntry{}, false
	}
	return c.entries[len(c.entries)-1], true
}

func (c *epochCache) earliest() (EpochEntry, bool) {
	if len(c.entries) == 0 {
		return EpochEntry{}, false
	}
	return c.entries[0], true
}

// endOffsetFor answers OffsetForLeaderEpoch (KIP-101, KIP-279): the largest
// epoch at most the requested one and the offset where the next epoch
// started (the log end offset for the latest epoch). Unknown answers are
// (-1, -1).
func (c *epochCache) endOffsetFor(epoch int32, logEndOffset int64) (int32, int64) {
	if epoch < 0 || len(c.entries) == 0 {
		return -1, -1
	}
	if c.entries[len(c.entries)-1].Epoch == epoch {
		return epoch, logEndOffset
	}
	// First entry with an epoch above the requested one.
	hi := -1
	for i, e := range c.entries {
		if e.Epoch > epoch {
			hi = i
			break
		}
	}
	if hi < 0 {
		return -1, -1 // above every known epoch
	}
	if hi == 0 {
		// Below every known epoch: the data of the requested epoch is gone;
		// answer with where the first known epoch starts.
		return epoch, c.entries[0].StartOffset
	}
	return c.entries[hi-1].Epoch, c.entries[hi].StartOffset
}

// truncateFromEnd removes the entries that start at or after endOffset, as
// after the log is truncated to endOffset.
func (c *epochCache) truncateFromEnd(endOffset int64) error {
	n := len(c.entries)
	for n > 0 && c.entries[n-1].StartOffset >= endOffset {
		n--
	}
	if n == len(c.entries) {
		return nil
	}
	c.entries = c.entries[:n]
	return c.write()
}

// truncateFromStart drops the entries wholly before startOffset and moves
// the start of the epoch that holds startOffset up to it, as after the log
// start offset advances.
func (c *epochCache) truncateFromStart(startOffset int64) error {
	i := 0
	for i < len(c.entries) && c.entries[i].StartOffset <= startOffset {
		i++
	}
	if i == 0 {
		return nil
	}
	last := c.entries[i-1]
	if i == 1 && last.StartOffset == startOffset {
		return nil
	}
	rest := append([]EpochEntry{{Epoch: last.Epoch, StartOffset: startOffset}}, c.entries[i:]...)
	c.entries = rest
	return c.write()
}

// clear empties the cache (TruncateFullyAndStartAt).
func (c *epochCache) clear() error {
	c.entries = nil
	return c.write()
}

func (c *epochCache) snapshot() []EpochEntry {
	return append([]EpochEntry(nil), c.entries...)
}
