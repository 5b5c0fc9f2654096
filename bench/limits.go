package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// limits are the machine's physical limits, measured in the same run as
// the brokers so that the figures can be read against them.
type limits struct {
	// Sequential write of WriteBytes to a file in the log dir's file
	// system, 1 MiB writes.
	WriteBytes int64 `json:"write_bytes"`
	// WriteMBps includes one fsync at the end.
	WriteMBps float64 `json:"write_fsync_at_end_mb_s"`
	// WriteSyncMBps fsyncs after every 1 MiB write.
	WriteSyncMBps float64 `json:"write_fsync_each_mib_mb_s"`
	// Fsyncs16KPerSec is 16 KiB writes each followed by fsync; the
	// ceiling of a broker that fsyncs every produce request.
	Fsyncs16KPerSec float64 `json:"fsyncs_16kib_per_s"`
	FsyncP50Micros  float64 `json:"fsync_16kib_p50_us"`
	// LoopbackMBps is one TCP connection over loopback, 256 KiB writes.
	LoopbackMBps float64 `json:"loopback_tcp_mb_s"`
	// PingPong is 100-byte request/response round trips over loopback.
	PingPongPerSec float64 `json:"loopback_pingpong_per_s"`
	RTTP50Micros   float64 `json:"loopback_rtt_p50_us"`
}

// measureLimits runs the probes; dir is where the brokers keep their logs.
func measureLimits(ctx context.Context, dir string, writeBytes int64, probe time.Duration) (*limits, error) {
	l := &limits{WriteBytes: writeBytes}
	var err error
	if l.WriteMBps, err = seqWrite(dir, writeBytes, 1<<20, false); err != nil {
		return nil, fmt.Errorf("sequential write: %w", err)
	}
	if l.WriteSyncMBps, err = seqWrite(dir, writeBytes, 1<<20, true); err != nil {
		return nil, fmt.Errorf("sequential write with fsync: %w", err)
	}
	if l.Fsyncs16KPerSec, l.FsyncP50Micros, err = fsyncRate(dir, 16<<10, probe); err != nil {
		return nil, fmt.Errorf("fsync rate: %w", err)
	}
	if l.LoopbackMBps, err = loopback(ctx, 256<<10, probe); err != nil {
		return nil, fmt.Errorf("loopback: %w", err)
	}
	if l.PingPongPerSec, l.RTTP50Micros, err = pingPong(ctx, 100, probe); err != nil {
		return nil, fmt.Errorf("ping-pong: %w", err)
	}
	return l, nil
}

// seqWrite writes total bytes in chunks of chunk and returns MB/s (10^6
// bytes), counting the final fsync (and, with syncEach, one per chunk).
func seqWrite(dir string, total int64, chunk int, syncEach bool) (float64, error) {
	path := filepath.Join(dir, "limits-seqwrite.tmp")
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, chunk)
	newPayload(1).fill(buf, 0)
	start := time.Now()
	for n := int64(0); n < total; n += int64(chunk) {
		if _, err := f.Write(buf); err != nil {
			return 0, err
		}
		if syncEach {
			if err := f.Sync(); err != nil {
				return 0, err
			}
		}
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return float64(total) / time.Since(start).Seconds() / 1e6, nil
}

// fsyncRate appends size-byte writes, each followed by fsync, for d and
// returns fsyncs per second and the median write+fsync time.
func fsyncRate(dir string, size int, d time.Duration) (perSec, p50us float64, err error) {
	path := filepath.Join(dir, "limits-fsync.tmp")
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, size)
	var samples []time.Duration
	start := time.Now()
	for time.Since(start) < d {
		t := time.Now()
		if _, err := f.Write(buf); err != nil {
			return 0, 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		samples = append(samples, time.Since(t))
	}
	sortDurations(samples)
	return float64(len(samples)) / time.Since(start).Seconds(), float64(percentile(samples, 0.5)) / 1e3, nil
}

// loopback streams chunk-sized writes over one loopback TCP connection for
// d and returns MB/s received.
func loopback(ctx context.Context, chunk int, d time.Duration) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	type result struct {
		n   int64
		err error
	}
	res := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- result{err: err}
			return
		}
		defer c.Close()
		n, err := io.Copy(io.Discard, c)
		res <- result{n, err}
	}()
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	buf := make([]byte, chunk)
	start := time.Now()
	for time.Since(start) < d {
		if _, err := c.Write(buf); err != nil {
			c.Close()
			return 0, err
		}
	}
	c.Close()
	r := <-res
	if r.err != nil {
		return 0, r.err
	}
	return float64(r.n) / time.Since(start).Seconds() / 1e6, nil
}

// pingPong sends size-byte messages over loopback TCP and waits for each
// echo, for d; it returns round trips per second and the median RTT.
func pingPong(ctx context.Context, size int, d time.Duration) (perSec, p50us float64, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, size)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	buf := make([]byte, size)
	var samples []time.Duration
	start := time.Now()
	for time.Since(start) < d {
		t := time.Now()
		if _, err := c.Write(buf); err != nil {
			return 0, 0, err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return 0, 0, err
		}
		samples = append(samples, time.Since(t))
	}
	if len(samples) == 0 {
		return 0, 0, errors.New("no round trips")
	}
	sortDurations(samples)
	return float64(len(samples)) / time.Since(start).Seconds(), float64(percentile(samples, 0.5)) / 1e3, nil
}
