package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// brokerSpec says how to start one kind of broker as a process.
type brokerSpec struct {
	// Name is "ours" or "kfake"; it labels every figure.
	Name string
	Bin  string
	// Args returns the command line for a broker listening on
	// 127.0.0.1:port with its data in dir.
	Args func(port int, dir string) []string
	// PprofAddr, when set, is where the process serves bench/profhttp.
	PprofAddr string
}

// oursSpec runs kafka-server (or the bench/profserver variant, which takes
// the same --override options) with the settings both brokers share.
func oursSpec(bin string, partitions int, fsync bool, pprofAddr string) *brokerSpec {
	return &brokerSpec{
		Name:      "ours",
		Bin:       bin,
		PprofAddr: pprofAddr,
		Args: func(port int, dir string) []string {
			args := []string{
				"--override", "listeners=PLAINTEXT://127.0.0.1:" + strconv.Itoa(port),
				"--override", "log.dirs=" + dir,
				"--override", "num.partitions=" + strconv.Itoa(partitions),
				"--override", "group.initial.rebalance.delay.ms=0",
				"--log-level", "warn",
			}
			if fsync {
				args = append(args, "--override", "log.flush.interval.messages=1")
			}
			if pprofAddr != "" {
				args = append(args, "--pprof", pprofAddr)
			}
			return args
		},
	}
}

// kfakeSpec runs tools/kfakebroker persisted to its data dir.
func kfakeSpec(bin string, partitions int, fsync bool, pprofAddr string) *brokerSpec {
	return &brokerSpec{
		Name:      "kfake",
		Bin:       bin,
		PprofAddr: pprofAddr,
		Args: func(port int, dir string) []string {
			args := []string{
				"-port", strconv.Itoa(port),
				"-data-dir", dir,
				"-partitions", strconv.Itoa(partitions),
			}
			if fsync {
				args = append(args, "-sync")
			}
			if pprofAddr != "" {
				args = append(args, "-pprof", pprofAddr)
			}
			return args
		},
	}
}

// broker is a running broker process.
type broker struct {
	Spec *brokerSpec
	Addr string
	Dir  string
	// Ready is the time from exec to the first answered ApiVersions.
	Ready time.Duration

	cmd     *exec.Cmd
	log     *os.File
	exited  chan struct{}
	waitErr error
}

// startBroker execs spec with its data in dir (created empty) on a free
// port and waits until it answers ApiVersions, polling every millisecond.
func startBroker(ctx context.Context, spec *brokerSpec, dir string) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	return startBrokerOn(ctx, spec, dir, port)
}

// startBrokerOn is startBroker on a given port.
func startBrokerOn(ctx context.Context, spec *brokerSpec, dir string, port int) (*broker, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(dir + ".log")
	if err != nil {
		return nil, err
	}
	b := &broker{Spec: spec, Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: dir, log: logf, exited: make(chan struct{})}
	b.cmd = exec.Command(spec.Bin, spec.Args(port, dir)...)
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := b.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	go func() { b.waitErr = b.cmd.Wait(); close(b.exited) }()
	deadline := t0.Add(60 * time.Second)
	for {
		if apiVersionsAnswered(b.Addr) {
			b.Ready = time.Since(t0)
			return b, nil
		}
		select {
		case <-b.exited:
			logf.Close()
			return nil, fmt.Errorf("%s exited during start-up (%v); log %s:\n%s", spec.Name, b.waitErr, logf.Name(), tail(logf.Name(), 20))
		case <-ctx.Done():
			b.kill()
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.kill()
			return nil, fmt.Errorf("%s not ready on %s after 60s; log %s:\n%s", spec.Name, b.Addr, logf.Name(), tail(logf.Name(), 20))
		}
	}
}

// Pid is the broker's process id.
func (b *broker) Pid() int { return b.cmd.Process.Pid }

// Stop sends SIGTERM and waits up to 30s for a clean exit, then kills.
func (b *broker) Stop() error {
	defer b.log.Close()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-b.exited:
		var ee *exec.ExitError
		if errors.As(b.waitErr, &ee) {
			return fmt.Errorf("%s exited with %v", b.Spec.Name, ee)
		}
		return nil
	case <-time.After(30 * time.Second):
		b.kill()
		return fmt.Errorf("%s did not stop within 30s of SIGTERM", b.Spec.Name)
	}
}

func (b *broker) kill() {
	_ = b.cmd.Process.Kill()
	<-b.exited
}

// CPU returns the user and system CPU time the process has used, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s: Linux's
// USER_HZ is 100 on every architecture Go supports).
func (b *broker) CPU() (time.Duration, error) {
	return procCPU(b.Pid())
}

func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(data)
}

// parseStatCPU reads utime+stime from the contents of /proc/<pid>/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(data []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	ut, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat utime: %w", err)
	}
	st, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat stime: %w", err)
	}
	const maxTicks = uint64(math.MaxInt64 / int64(10*time.Millisecond))
	if ut > maxTicks || st > maxTicks-ut {
		return 0, fmt.Errorf("stat: %d+%d ticks out of range", ut, st)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// Mem returns the resident set size now and its peak (VmRSS and VmHWM
// from /proc/<pid>/status), in bytes.
func (b *broker) Mem() (rss, peak int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.Pid()))
	if err != nil {
		return 0, 0, err
	}
	return parseStatusMem(data)
}

func parseStatusMem(data []byte) (rss, peak int64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	found := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("status %s: unexpected value %q", k, v)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("status %s: %w", k, err)
		}
		if k == "VmRSS" {
			rss = n * 1024
		} else {
			peak = n * 1024
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("status: VmRSS or VmHWM missing")
	}
	return rss, peak, nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// apiVersionsAnswered reports whether the broker at addr answers an
// ApiVersions v0 request with the correlation id it was sent: the broker is
// then serving the Kafka protocol, not merely accepting connections.
func apiVersionsAnswered(addr string) bool {
	nc, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return false
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(2 * time.Second))
	// size, api key 18, version 0, correlation id 7, client id "bench"
	req := []byte{0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 7, 0, 5, 'b', 'e', 'n', 'c', 'h'}
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	if _, err := nc.Write(req); err != nil {
		return false
	}
	var hdr [8]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		return false
	}
	return binary.BigEndian.Uint32(hdr[4:]) == 7
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// topicBytes returns the disk space allocated to the files in the
// partition directories of topic under dir ("<topic>-<partition>", the
// layout of both Kafka and kfake's DataDir), wherever they sit below dir.
// It counts allocated blocks, not file sizes: Kafka preallocates its index
// files (10 MiB each, sparse) and trims them only when a segment rolls.
func topicBytes(dir, topic string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		part, ok := strings.CutPrefix(filepath.Base(filepath.Dir(path)), topic+"-")
		if !ok {
			return nil
		}
		if _, err := strconv.ParseUint(part, 10, 31); err != nil {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		} else {
			n += fi.Size()
		}
		return nil
	})
	return n
}
