package metadata

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"github.com/twmb/franz-go/pkg/kerr"
)

// fsm is the raft state machine. hashicorp/raft calls Apply, Restore and
// Snapshot from its single FSM goroutine (Snapshot concurrently with nothing
// else of ours), so apply order is raft log order on every node.
//
// Locking: mu serializes an image swap plus its subscriber callbacks against
// Subscribe, so a new subscriber sees exactly the changes after the image it
// was handed. cur and lastTerm are atomics read without mu.
type fsm struct {
	logger *slog.Logger
	notify func() // called after every apply and restore, outside mu

	cur      atomic.Pointer[Image]
	lastTerm atomic.Uint64 // raft term of the last applied entry
	restores atomic.Uint64 // snapshots restored, for tests and stats

	mu      sync.Mutex
	subs    []subscriber
	nextSub uint64
}

type subscriber struct {
	id uint64
	fn func(prev, next *Image)
}

// applied is what Apply returns to the proposer for an entry that applied.
type applied struct {
	Index, Term uint64
}

func newFSM(logger *slog.Logger, notify func()) *fsm {
	f := &fsm{logger: logger, notify: notify}
	f.cur.Store(emptyImage())
	return f
}

// Apply applies one committed entry. It returns applied on success and an
// *Error when the entry was rejected; either way the entry's index is
// recorded so that the image's Index follows the log.
func (f *fsm) Apply(l *raft.Log) any {
	prev := f.cur.Load()
	if l.Index <= prev.Index {
		f.logger.Error("metadata entry applied out of order; ignored", "index", l.Index, "applied_index", prev.Index)
		return newError(kerr.UnknownServerError, "entry %d is at or below the applied index %d", l.Index, prev.Index)
	}
	var next *Image
	records, err := DecodeEntry(l.Data)
	if err != nil {
		img := *prev
		img.Index = l.Index
		next = &img
		f.logger.Error("undecodable metadata entry skipped", "index", l.Index, "err", err)
		err = newError(kerr.InvalidRequest, "%v", err)
	} else {
		next, err = applyEntry(prev, l.Index, records)
		if err != nil {
			f.logger.Debug("metadata entry rejected", "index", l.Index, "err", err)
		}
	}
	f.swap(prev, next, l.Term)
	if err != nil {
		return err
	}
	return applied{Index: l.Index, Term: l.Term}
}

// swap installs next and runs the subscribers in registration order.
func (f *fsm) swap(prev, next *Image, term uint64) {
	f.mu.Lock()
	f.cur.Store(next)
	if term != 0 {
		f.lastTerm.Store(term)
	}
	for _, s := range f.subs {
		f.call(s, prev, next)
	}
	f.mu.Unlock()
	f.notify()
}

// call runs one subscriber. A panicking subscriber is logged rather than
// allowed to kill the raft FSM goroutine, which would stop metadata for
// every other component.
func (f *fsm) call(s subscriber, prev, next *Image) {
	defer func() {
		if r := recover(); r != nil {
			f.logger.Error("metadata subscriber panicked", "subscriber", s.id, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	s.fn(prev, next)
}

func (f *fsm) subscribe(fn func(prev, next *Image)) (*Image, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextSub++
	id := f.nextSub
	f.subs = append(f.subs, subscriber{id: id, fn: fn})
	cancel := func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, s := range f.subs {
			if s.id == id {
				f.subs = append(f.subs[:i:i], f.subs[i+1:]...)
				return
			}
		}
	}
	return f.cur.Load(), cancel
}

// Snapshot captures the current image. Images are immutable, so holding the
// pointer is the whole snapshot; Persist encodes it on raft's snapshot
// goroutine while applies continue.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return imageSnapshot{img: f.cur.Load(), term: f.lastTerm.Load()}, nil
}

// Restore replaces the whole image with a snapshot's.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read metadata snapshot: %w", err)
	}
	next, term, err := decodeSnapshot(b)
	if err != nil {
		return fmt.Errorf("restore metadata snapshot: %w", err)
	}
	f.swap(f.cur.Load(), next, term)
	f.restores.Add(1)
	f.logger.Info("metadata restored from snapshot", "index", next.Index, "term", term, "topics", len(next.Topics), "brokers", len(next.Brokers))
	return nil
}

// imageSnapshot is an image and the raft term of the entry it was last
// changed by. The term is kept so that a node restored from the snapshot
// knows whether it has applied an entry of the current leader's term
// (WaitReady), even when no entry follows the snapshot.
type imageSnapshot struct {
	img  *Image
	term uint64
}

func (s imageSnapshot) Persist(sink raft.SnapshotSink) error {
	b, err := encodeSnapshot(s.img, s.term)
	if err == nil {
		_, err = sink.Write(b)
	}
	if err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist metadata snapshot: %w", err)
	}
	return sink.Close()
}

func (imageSnapshot) Release() {}
