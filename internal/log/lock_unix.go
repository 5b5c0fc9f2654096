//go:build unix

package log

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes the exclusive lock on <dir>/.lock that keeps two brokers
// from using one log directory, as Kafka's FileLock does.
func lockDir(dir string) (*os.File, error) {
	p := dir + "/" + lockFile
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("log directory %s is in use by another process (lock %s: %w)", dir, p, err)
	}
	return f, nil
}

func unlockDir(f *os.File) error {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return f.Close()
}
