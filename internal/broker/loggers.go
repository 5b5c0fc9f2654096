package broker

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/kafkakit/kafkakit/internal/config"
)

// Loggers are the broker's named loggers and their live levels, changed at
// run time through kafka-configs --entity-type broker-loggers. Each engine
// component logs through its own logger; a logger without a level of its
// own follows "root". Levels are not persisted, as in Kafka.
type Loggers struct {
	base slog.Handler

	mu       sync.Mutex
	root     *slog.LevelVar
	vars     map[string]*slog.LevelVar
	explicit map[string]bool
}

// Logger names, after the Kafka classes doing the same work.
const (
	rootLogger     = "root"
	serverLogger   = "kafka.server"
	logLogger      = "kafka.log"
	groupLogger    = "kafka.coordinator.group"
	metadataLogger = "kafka.controller"
	replicaLogger  = "kafka.cluster"
)

func newLoggers(base slog.Handler, level slog.Level) *Loggers {
	l := &Loggers{base: base, root: &slog.LevelVar{}, vars: map[string]*slog.LevelVar{}, explicit: map[string]bool{}}
	l.root.Set(level)
	for _, n := range []string{serverLogger, logLogger, groupLogger, metadataLogger, replicaLogger} {
		v := &slog.LevelVar{}
		v.Set(level)
		l.vars[n] = v
	}
	return l
}

// Logger returns the slog logger for a named component.
func (l *Loggers) Logger(name string) *slog.Logger {
	l.mu.Lock()
	v, ok := l.vars[name]
	l.mu.Unlock()
	if !ok {
		v = l.root
	}
	return slog.New(levelHandler{h: l.base, level: v}).With("logger", name)
}

// Levels returns every logger's current level in Kafka's names.
func (l *Loggers) Levels() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{rootLogger: config.KafkaLevel(l.root.Level())}
	for n, v := range l.vars {
		out[n] = config.KafkaLevel(v.Level())
	}
	return out
}

// Names returns the logger names.
func (l *Loggers) Names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []string{rootLogger}
	for n := range l.vars {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Set changes a logger's level ("" resets it to the root level; resetting
// root is refused, as Kafka refuses to delete the root logger's level).
func (l *Loggers) Set(name, level string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if name != rootLogger && l.vars[name] == nil {
		return fmt.Errorf("logger %s does not exist", name)
	}
	if level == "" {
		if name == rootLogger {
			return fmt.Errorf("removing the log level of the root logger is not allowed")
		}
		delete(l.explicit, name)
		l.vars[name].Set(l.root.Level())
		return nil
	}
	if err := config.ValidateLogLevel(name, level); err != nil {
		return err
	}
	lv, _ := config.SlogLevel(level)
	if name == rootLogger {
		l.root.Set(lv)
		for n, v := range l.vars {
			if !l.explicit[n] {
				v.Set(lv)
			}
		}
		return nil
	}
	l.explicit[name] = true
	l.vars[name].Set(lv)
	return nil
}

// levelHandler filters records below a live level.
type levelHandler struct {
	h     slog.Handler
	level *slog.LevelVar
}

func (h levelHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= h.level.Level() && h.h.Enabled(ctx, lv)
}
func (h levelHandler) Handle(ctx context.Context, r slog.Record) error { return h.h.Handle(ctx, r) }
func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{h: h.h.WithAttrs(as), level: h.level}
}
func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h: h.h.WithGroup(name), level: h.level}
}
