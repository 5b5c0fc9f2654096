package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The scaling figures: what a broker costs in memory and goroutines as
// partitions and idle connections grow. Each broker kind is started fresh
// for each of the two series, measured right after start, then at every
// step. kafka-server runs as bench/profserver (the same broker, which also
// serves bench/profhttp) when that binary is available so that its
// goroutines can be counted; kfake runs with -pprof for the same reason.

// partitionSteps are the partition counts measured. Partitions are added
// as topics of at most 1 000 partitions, one CreateTopics request each:
// Kafka refuses a controller operation of more than 10 000 records, which
// a single topic of 10 000 partitions (10 001 records) would be.
var partitionSteps = [...]int{1, 1000, 10000}

// connectionSteps are the idle connection counts measured. Each
// connection has sent ApiVersions and read the answer, as every client's
// first request, then stays open and silent.
var connectionSteps = [...]int{10, 1000}

// maxPartitionsPerTopic is the largest topic the partition series creates.
const maxPartitionsPerTopic = 1000

// scalePoint is one measurement of a scaling series.
type scalePoint struct {
	Broker string `json:"broker"`
	// Series is "partitions" or "connections"; N is how many exist (0 is
	// the broker right after start).
	Series string `json:"series"`
	N      int    `json:"n"`
	RSS    int64  `json:"rss_bytes"`
	// Goroutines is -1 when the broker cannot report it.
	Goroutines int `json:"goroutines"`
	Threads    int `json:"threads"`
	// StepMs is how long the step took: creating the partitions added
	// since the previous point until every one has a leader, or opening
	// the connections added.
	StepMs float64 `json:"step_ms"`
}

// scaleFigures is the scaling section of the results.
type scaleFigures struct {
	Points []scalePoint `json:"points"`
	Errors []string     `json:"errors,omitempty"`
}

// point returns the measurement of broker at n in series, or nil.
func (s *scaleFigures) point(broker, series string, n int) *scalePoint {
	for i := range s.Points {
		p := &s.Points[i]
		if p.Broker == broker && p.Series == series && p.N == n {
			return p
		}
	}
	return nil
}

// scaleSpecs returns how to start each broker for the scaling figures:
// with a pprof address so that goroutines can be counted.
func scaleSpecs(c *config) ([]*brokerSpec, error) {
	p1, err := freePort()
	if err != nil {
		return nil, err
	}
	p2, err := freePort()
	if err != nil {
		return nil, err
	}
	ours := oursSpec(c.serverBin, 6, c.Fsync, "")
	if c.profBin != "" {
		ours = oursSpec(c.profBin, 6, c.Fsync, fmt.Sprintf("127.0.0.1:%d", p1))
	}
	return []*brokerSpec{ours, kfakeSpec(c.kfakeBin, 6, c.Fsync, fmt.Sprintf("127.0.0.1:%d", p2))}, nil
}

// runScaling measures both series on both brokers, alternating which
// broker goes first.
func runScaling(ctx context.Context, c *config, logger *slog.Logger, root string) *scaleFigures {
	figs := &scaleFigures{}
	specs, err := scaleSpecs(c)
	if err != nil {
		figs.Errors = append(figs.Errors, err.Error())
		return figs
	}
	for i, series := range []string{"partitions", "connections"} {
		if !c.wants("scale " + series) {
			continue
		}
		for j := range specs {
			s := specs[(i+j)%2]
			dir := filepath.Join(root, "scale-"+series+"-"+s.Name)
			var pts []scalePoint
			var err error
			if series == "partitions" {
				pts, err = partitionSeries(ctx, s, dir, c.partitionSteps)
			} else {
				pts, err = connectionSeries(ctx, s, dir, c.connectionSteps)
			}
			figs.Points = append(figs.Points, pts...)
			for _, p := range pts {
				logger.Info("scale", "series", series, "broker", s.Name, "n", p.N,
					"rss_mib", round1(float64(p.RSS)/(1<<20)), "goroutines", p.Goroutines, "step_ms", round1(p.StepMs))
			}
			if err != nil {
				figs.Errors = append(figs.Errors, fmt.Sprintf("%s %s: %v", s.Name, series, err))
				logger.Error("scale run failed", "series", series, "broker", s.Name, "err", err)
			}
			if !c.keep {
				os.RemoveAll(dir)
			}
		}
	}
	return figs
}

// partitionSeries starts a broker and grows it to each of steps empty
// partitions, measuring after start and after each step.
func partitionSeries(ctx context.Context, spec *brokerSpec, dir string, steps []int) (pts []scalePoint, err error) {
	b, err := startBroker(ctx, spec, dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := b.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	a, err := newAdmin(b.Addr)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	p, err := measureScale(ctx, b, "partitions", 0, 0)
	if err != nil {
		return nil, err
	}
	pts = append(pts, p)
	have := 0
	for _, want := range steps {
		t0 := time.Now()
		for have < want {
			n := min(want-have, maxPartitionsPerTopic)
			topic := fmt.Sprintf("scale-%d-%d", have, n)
			if _, _, err := a.createTopic(ctx, topic, int32(n)); err != nil {
				return pts, err
			}
			have += n
		}
		p, err := measureScale(ctx, b, "partitions", want, time.Since(t0))
		if err != nil {
			return pts, err
		}
		pts = append(pts, p)
	}
	return pts, nil
}

// connectionSeries starts a broker and opens idle connections up to each
// of steps, measuring after start and after each step.
func connectionSeries(ctx context.Context, spec *brokerSpec, dir string, steps []int) (pts []scalePoint, err error) {
	b, err := startBroker(ctx, spec, dir)
	if err != nil {
		return nil, err
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		if serr := b.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	p, err := measureScale(ctx, b, "connections", 0, 0)
	if err != nil {
		return nil, err
	}
	pts = append(pts, p)
	for _, want := range steps {
		t0 := time.Now()
		for len(conns) < want {
			c, err := openIdleConn(ctx, b.Addr, int32(len(conns)))
			if err != nil {
				return pts, fmt.Errorf("connection %d: %w", len(conns)+1, err)
			}
			conns = append(conns, c)
		}
		p, err := measureScale(ctx, b, "connections", want, time.Since(t0))
		if err != nil {
			return pts, err
		}
		pts = append(pts, p)
	}
	return pts, nil
}

// openIdleConn connects to addr, sends ApiVersions v0 and reads the whole
// answer, leaving the connection open.
func openIdleConn(ctx context.Context, addr string, corr int32) (net.Conn, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	// size, api key 18, version 0, correlation id, client id "bench"
	req := []byte{0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 5, 'b', 'e', 'n', 'c', 'h'}
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	binary.BigEndian.PutUint32(req[8:], uint32(corr))
	if _, err := nc.Write(req); err != nil {
		nc.Close()
		return nil, err
	}
	var hdr [8]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		nc.Close()
		return nil, err
	}
	size := binary.BigEndian.Uint32(hdr[:])
	if got := int32(binary.BigEndian.Uint32(hdr[4:])); got != corr || size < 4 || size > 1<<20 {
		nc.Close()
		return nil, fmt.Errorf("ApiVersions answer of %d bytes with correlation id %d, want %d", size, got, corr)
	}
	if _, err := io.CopyN(io.Discard, nc, int64(size-4)); err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, nil
}

// measureScale waits for the broker's resident set to settle and returns
// it with its goroutine and thread counts.
func measureScale(ctx context.Context, b *broker, series string, n int, step time.Duration) (scalePoint, error) {
	p := scalePoint{Broker: b.Spec.Name, Series: series, N: n, StepMs: ms(step), Goroutines: -1}
	rss, err := settledRSS(ctx, b)
	if err != nil {
		return p, err
	}
	p.RSS = rss
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.Pid())); err == nil {
		p.Threads = parseStatusThreads(data)
	}
	if b.Spec.PprofAddr != "" {
		if g, err := goroutines(ctx, b.Spec.PprofAddr); err == nil {
			p.Goroutines = g
		}
	}
	return p, nil
}

// settledRSS samples the broker's RSS every 100 ms until five samples in a
// row are within 1% of each other (work started by the last step, such as
// the creation of log directories, has finished), or 5 s have passed, and
// returns the last sample.
func settledRSS(ctx context.Context, b *broker) (int64, error) {
	deadline := time.Now().Add(5 * time.Second)
	var window []int64
	for {
		rss, _, err := b.Mem()
		if err != nil {
			return 0, err
		}
		window = append(window, rss)
		if len(window) > 5 {
			window = window[1:]
		}
		if len(window) == 5 {
			lo, hi := window[0], window[0]
			for _, v := range window {
				lo, hi = min(lo, v), max(hi, v)
			}
			if float64(hi-lo) <= 0.01*float64(hi) {
				return rss, nil
			}
		}
		if time.Now().After(deadline) {
			return rss, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// goroutines asks a broker serving bench/profhttp for its goroutine count.
func goroutines(ctx context.Context, pprofAddr string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+pprofAddr+"/goroutines", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("goroutines: %s", resp.Status)
	}
	return strconv.Atoi(strings.TrimSpace(string(body)))
}

// parseStatusThreads reads the Threads line of /proc/<pid>/status; 0 when
// absent.
func parseStatusThreads(data []byte) int {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return 0
}

var errNoScale = errors.New("not measured")

// scaleDelta returns the RSS (MiB) and goroutines a series' step adds over
// the broker's state right after start.
func (s *scaleFigures) scaleDelta(broker, series string, n int) (rssMiB float64, gor int, err error) {
	base, at := s.point(broker, series, 0), s.point(broker, series, n)
	if base == nil || at == nil {
		return 0, 0, errNoScale
	}
	gor = -1
	if at.Goroutines >= 0 && base.Goroutines >= 0 {
		gor = at.Goroutines - base.Goroutines
	}
	return float64(at.RSS-base.RSS) / (1 << 20), gor, nil
}
