package log

import (
	"io"
	"os"
	"syscall"
)

// sendFile copies size bytes of f from position to w with sendfile(2) when w
// exposes a socket descriptor. handled is false when it cannot be used and
// nothing was written.
func sendFile(w io.Writer, f *os.File, position, size int64) (written int64, handled bool, err error) {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return 0, false, nil
	}
	dst, err := sc.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	src, err := f.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	off := position
	var werr, inner error
	cerr := src.Control(func(sfd uintptr) {
		werr = dst.Write(func(dfd uintptr) bool {
			for written < size {
				n, err := syscall.Sendfile(int(dfd), int(sfd), &off, int(min(size-written, 1<<30)))
				if n > 0 {
					written += int64(n)
				}
				switch {
				case err == syscall.EAGAIN:
					return false // wait until the socket is writable
				case err == syscall.EINTR:
					continue
				case err != nil:
					inner = err
					return true
				case n == 0:
					inner = io.ErrUnexpectedEOF // the file shrank
					return true
				}
			}
			return true
		})
	})
	if cerr != nil {
		return written, true, cerr
	}
	if werr != nil {
		return written, true, werr
	}
	if written == 0 && (inner == syscall.EINVAL || inner == syscall.ENOSYS) {
		return 0, false, nil // a descriptor sendfile cannot write to
	}
	return written, true, inner
}
