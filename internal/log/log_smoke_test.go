package log

import (
	"testing"
)

func TestSmokeAppendReadReopen(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	l := openTestLog(t, dir, testConfig(), clock, Options{})
	ts := clock.Now().UnixMilli()
	for i := 0; i < 100; i++ {
		res := mustAppend(t, l, makeBatch(t, batchSpec{records: 3, valueSize: 100, timestamp: ts}))
		if got, want := res.FirstOffset, int64(i*3); got != want {
			t.Fatalf("append %d: first offset got %d, want %d", i, got, want)
		}
	}
	if got, want := l.LogEndOffset(), int64(300); got != want {
		t.Fatalf("LEO got %d want %d", got, want)
	}
	data := readAll(t, l, 0)
	if got := len(offsetsIn(data)); got != 100 {
		t.Fatalf("read %d batches, want 100", got)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	l2 := openTestLog(t, dir, testConfig(), clock, Options{CleanShutdown: true, RecoveryPoint: 300})
	defer l2.Close()
	if got := l2.LogEndOffset(); got != 300 {
		t.Fatalf("reopened LEO %d", got)
	}
	if st := l2.LoadStats(); st.RecoveredSegments != 0 {
		t.Fatalf("clean reopen recovered %d segments", st.RecoveredSegments)
	}
	data2 := readAll(t, l2, 0)
	if string(data2) != string(data) {
		t.Fatalf("data differs after reopen")
	}
}
