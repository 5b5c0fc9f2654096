package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/pflag"
)

// Output formats for the --output option some tools add beyond Kafka's.
const (
	OutputPlain = "plain" // Kafka's own text, byte for byte
	OutputJSON  = "json"  // one JSON document
	OutputTable = "table" // aligned columns for people
)

// OutputOption registers --output with the given formats (the first is the
// default) and returns where its value lands.
func OutputOption(fs *pflag.FlagSet, formats ...string) *string {
	p := new(string)
	fs.StringVar(p, "output", formats[0], "Output format (kafkakit extension): "+strings.Join(formats, ", ")+".")
	_ = fs.SetAnnotation("output", annArg, []string{strings.Join(formats, "|")})
	_ = fs.SetAnnotation("output", annDefault, []string{formats[0]})
	return p
}

// CheckOutput validates an --output value against the allowed formats.
func CheckOutput(value string, formats ...string) error {
	for _, f := range formats {
		if value == f {
			return nil
		}
	}
	return UsageErrorf("Invalid value '%s' for option output: use one of %s", value, strings.Join(formats, ", "))
}

// WriteJSON writes v as indented JSON followed by a newline. Field order is
// the struct's, so the output is stable for scripts.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ColorEnabled reports whether colour may be written to w: only when w is a
// terminal and NO_COLOR is not set (https://no-color.org).
func ColorEnabled(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Painter colours text for a writer when ColorEnabled allows it, and is a
// no-op otherwise. It never touches fatih/color's package-wide switch.
type Painter struct{ enabled bool }

// NewPainter returns a Painter for w.
func NewPainter(w io.Writer) Painter { return Painter{enabled: ColorEnabled(w)} }

// Paint returns s in the given attributes, or s unchanged.
func (p Painter) Paint(s string, attrs ...color.Attribute) string {
	if !p.enabled {
		return s
	}
	c := color.New(attrs...)
	c.EnableColor()
	return c.Sprint(s)
}

// WriteTable prints rows under header as borderless, left-aligned columns
// for people to read (--output table). Header cells are printed as given,
// in bold on a terminal.
func WriteTable(w io.Writer, header []string, rows [][]string) error {
	p := NewPainter(w)
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = p.Paint(h, color.Bold)
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	t.Header(hdr...)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}

// NewLogger returns a logger that writes lines in the layout of Kafka's
// tools-log4j.properties, "[2006-01-02 15:04:05,000] LEVEL message (name)",
// for records at level or above. An "err" attribute is printed on the line
// after the message, where log4j prints an exception; other attributes follow
// the message as key=value.
func NewLogger(w io.Writer, name string, level slog.Level) *slog.Logger {
	return slog.New(&log4jHandler{w: w, name: name, level: level, mu: &sync.Mutex{}})
}

type log4jHandler struct {
	w     io.Writer
	name  string
	level slog.Level
	attrs []slog.Attr
	mu    *sync.Mutex
}

func (h *log4jHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *log4jHandler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s,%03d] %s %s", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/int(time.Millisecond), log4jLevel(r.Level), r.Message)
	var errText string
	add := func(a slog.Attr) bool {
		if a.Key == "err" {
			errText = a.Value.String()
			return true
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	fmt.Fprintf(&b, " (%s)\n", h.name)
	if errText != "" {
		b.WriteString(errText)
		b.WriteByte('\n')
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *log4jHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &h2
}

func (h *log4jHandler) WithGroup(string) slog.Handler { return h }

func log4jLevel(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}
