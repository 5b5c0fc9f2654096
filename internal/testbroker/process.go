package testbroker

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// BuildServer builds cmd/kafka-server into dir and returns the binary path.
func BuildServer(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kafka-server")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kafka-server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kafka-server: %v\n%s", err, out)
	}
	return bin, nil
}

func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate module root")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Process is a kafka-server running as a separate OS process, as users run
// it. Its stderr goes to Dir/server.log.
type Process struct {
	Bin       string
	Dir       string   // log.dirs
	Addr      string   // 127.0.0.1:port of the PLAINTEXT listener
	Overrides []string // extra --override key=value pairs
	cmd       *exec.Cmd
	logFile   *os.File
	exited    chan struct{}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartProcess starts bin with its data in dir on a free port and waits
// until it answers ApiVersions.
func StartProcess(bin, dir string, overrides ...string) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &Process{Bin: bin, Dir: dir, Addr: "127.0.0.1:" + strconv.Itoa(port), Overrides: overrides}
	return p, p.Start()
}

// Start (re)starts the process on the same address and data dir.
func (p *Process) Start() error {
	args := []string{
		"--override", "listeners=PLAINTEXT://" + p.Addr,
		"--override", "log.dirs=" + p.Dir,
		"--override", "group.initial.rebalance.delay.ms=0",
	}
	for _, o := range p.Overrides {
		args = append(args, "--override", o)
	}
	f, err := os.OpenFile(filepath.Join(p.Dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	p.logFile = f
	p.cmd = exec.Command(p.Bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Bin, err)
	}
	p.exited = make(chan struct{})
	go func() { p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("kafka-server exited during start-up: %s\n%s", p.cmd.ProcessState, p.Log())
		default:
		}
		if Ready(p.Addr) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Kill()
	return fmt.Errorf("kafka-server not ready on %s after 20s\n%s", p.Addr, p.Log())
}

// Log returns what the process has written to stderr so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "server.log"))
	return string(b)
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Process) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.exited
	p.logFile.Close()
}

// Stop sends SIGTERM and waits up to timeout for a clean exit; it returns
// the exit error, if any.
func (p *Process) Stop(timeout time.Duration) error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		p.logFile.Close()
		if !p.cmd.ProcessState.Success() {
			return fmt.Errorf("kafka-server exited with %s", p.cmd.ProcessState)
		}
		return nil
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("kafka-server did not stop within %s after SIGTERM", timeout)
	}
}

// Ready reports whether a broker at addr answers an ApiVersions v0 request.
func Ready(addr string) bool {
	nc, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Second))
	// size, api key 18, version 0, correlation id 1, client id "ready"
	req := []byte{0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 1, 0, 5, 'r', 'e', 'a', 'd', 'y'}
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	if _, err := nc.Write(req); err != nil {
		return false
	}
	var hdr [8]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		return false
	}
	return bytes.Equal(hdr[4:8], []byte{0, 0, 0, 1})
}
