//go:build !unix

package log

import "os"

func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(dir+"/"+lockFile, os.O_RDWR|os.O_CREATE, 0o644)
}

func unlockDir(f *os.File) error { return f.Close() }
