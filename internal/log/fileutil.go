package log

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomic replaces path with data the way Kafka writes checkpoint
// files: write path.tmp, fsync it, rename it over path, fsync the directory.
// A crash leaves either the old or the new content, never a mix.
func writeFileAtomic(path string, data []byte) error {
	if err := writeFileSynced(path, data); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeFileSynced is writeFileAtomic without the directory fsync, for
// callers that fsync the directory once after several files.
func writeFileSynced(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// syncDir fsyncs a directory so that file creations, renames and removals
// in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// fileName returns the 20-digit zero-padded name Kafka gives segment files
// and producer snapshots: base offset 1725413 and suffix ".log" give
// 00000000000001725413.log.
func fileName(offset int64, suffix string) string {
	return fmt.Sprintf("%020d%s", offset, suffix)
}
