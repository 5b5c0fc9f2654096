package log

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlushPolicy(t *testing.T) {
	t.Run("default leaves data to the page cache", func(t *testing.T) {
		l := openTestLog(t, t.TempDir(), testConfig(), nil, Options{})
		defer l.Close()
		for i := 0; i < 10; i++ {
			mustAppend(t, l, makeBatch(t, batchSpec{records: 1}))
		}
		if rp := l.RecoveryPoint(); rp != 0 {
			t.Errorf("recovery point %d without any flush, want 0", rp)
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		if rp := l.RecoveryPoint(); rp != 10 {
			t.Errorf("recovery point %d after Flush, want 10", rp)
		}
	})
	t.Run("flush.messages", func(t *testing.T) {
		cfg := testConfig()
		cfg.FlushMessages = 3
		l := openTestLog(t, t.TempDir(), cfg, nil, Options{})
		defer l.Close()
		var got []int64
		for i := 0; i < 7; i++ {
			mustAppend(t, l, makeBatch(t, batchSpec{records: 1}))
			got = append(got, l.RecoveryPoint())
		}
		if want := []int64{0, 0, 3, 3, 3, 6, 6}; !equalInt64s(got, want) {
			t.Errorf("recovery points %v, want %v", got, want)
		}
	})
	t.Run("flush.ms", func(t *testing.T) {
		clock := newClock()
		cfg := testConfig()
		cfg.FlushMs = 1000
		l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
		defer l.Close()
		mustAppend(t, l, makeBatch(t, batchSpec{records: 2}))
		if err := l.maybeFlushByTime(clock.Now().Add(999 * time.Millisecond)); err != nil || l.RecoveryPoint() != 0 {
			t.Fatalf("flushed too early: %d %v", l.RecoveryPoint(), err)
		}
		clock.Advance(time.Second)
		if err := l.maybeFlushByTime(clock.Now()); err != nil || l.RecoveryPoint() != 2 {
			t.Fatalf("not flushed after flush.ms: %d %v", l.RecoveryPoint(), err)
		}
	})
	t.Run("roll flushes the old segment", func(t *testing.T) {
		cfg := smallSegments()
		dir := t.TempDir()
		l := openTestLog(t, dir, cfg, nil, Options{})
		for i := 0; i < 5; i++ {
			mustAppend(t, l, makeBatch(t, batchSpec{records: 2, valueSize: 100}))
		}
		// The background flush after the rolls moves the recovery point to
		// the newest segment's base.
		deadline := time.Now().Add(10 * time.Second)
		for l.RecoveryPoint() != 8 {
			if time.Now().After(deadline) {
				t.Fatalf("recovery point %d, want 8", l.RecoveryPoint())
			}
			time.Sleep(time.Millisecond)
		}
		for _, base := range []int64{4, 8} {
			if _, err := os.Stat(filepath.Join(dir, fileName(base, snapshotSuffix))); err != nil {
				t.Errorf("snapshot %d: %v", base, err)
			}
		}
		l.Close()
	})
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"defaults", func(*Config) {}, ""},
		{"tiny segment", func(c *Config) { c.SegmentBytes = 13 }, "segment.bytes"},
		{"huge segment", func(c *Config) { c.SegmentBytes = 1 << 31 }, "segment.bytes"},
		{"segment.ms", func(c *Config) { c.SegmentMs = 0 }, "segment.ms"},
		{"index bytes", func(c *Config) { c.SegmentIndexBytes = 3 }, "segment.index.bytes"},
		{"timestamp type", func(c *Config) { c.MessageTimestampType = "Wallclock" }, "message.timestamp.type"},
		{"retention.ms", func(c *Config) { c.RetentionMs = -2 }, "retention.ms"},
		{"flush.messages", func(c *Config) { c.FlushMessages = 0 }, "flush.messages"},
		{"policy", func(c *Config) { c.CleanupPolicy = "delete,shred" }, "unknown policy"},
		{"empty policy", func(c *Config) { c.CleanupPolicy = "" }, "cleanup.policy"},
		{"compact,delete", func(c *Config) { c.CleanupPolicy = "compact, delete" }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
	l := openTestLog(t, t.TempDir(), testConfig(), nil, Options{})
	defer l.Close()
	bad := testConfig()
	bad.SegmentMs = -1
	if err := l.SetConfig(bad); err == nil {
		t.Error("SetConfig accepted an invalid config")
	}
	if l.Config().SegmentMs != testConfig().SegmentMs {
		t.Error("invalid config replaced the old one")
	}
	if c := DefaultConfig(); !c.Delete() || c.Compact() {
		t.Error("default policy is not delete")
	}
}
