package metadata

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestHCLogAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := newHCLogAdapter(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})), "raft")
	tests := []struct {
		name string
		log  func()
		want string // substring of the output; "" means nothing logged
	}{
		{"info with args", func() { l.Info("entering leader state", "term", 3) }, `level=INFO msg="entering leader state" component=raft term=3`},
		{"trace dropped at info", func() { l.Trace("noise") }, ""},
		{"debug dropped at info", func() { l.Debug("noise") }, ""},
		{"error value", func() { l.Error("failed", "error", errors.New("boom")) }, `level=ERROR msg=failed component=raft error=boom`},
		{"hclog.Fmt", func() { l.Warn("peers", "servers", hclog.Fmt("%d voters", 3)) }, `servers="3 voters"`},
		{"odd args", func() { l.Info("odd", "lonely") }, `extra=lonely`},
		{"named and with", func() { l.Named("snapshots").With("id", "x").Info("saved") }, `subcomponent=raft.snapshots id=x`},
		{"standard logger", func() { l.StandardLogger(nil).Print("[WARN] raft-net: slow") }, `level=WARN msg="raft-net: slow"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			tt.log()
			got := buf.String()
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
	if l.IsDebug() || !l.IsInfo() || l.GetLevel() != hclog.Info {
		t.Errorf("levels: debug %v info %v level %v", l.IsDebug(), l.IsInfo(), l.GetLevel())
	}
}
