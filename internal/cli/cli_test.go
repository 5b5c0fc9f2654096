package cli

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func TestParseProperties(t *testing.T) {
	p, err := ParseProperties(strings.NewReader("a=1\nb:2\n# c=3\na=4\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range p.Keys() {
		v, _ := p.Get(k)
		got = append(got, k+"="+v)
	}
	if want := []string{"a=4", "b=2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLoadPropertiesMissing(t *testing.T) {
	_, err := LoadProperties("testdata/does-not-exist.properties")
	if got, want := err.Error(), "testdata/does-not-exist.properties (No such file or directory)"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestParseKeyValues(t *testing.T) {
	p := ParseKeyValues([]string{"a=1", "b", "c=", "d=x=y", "=e", "a=2"})
	var got []string
	for _, k := range p.Keys() {
		v, _ := p.Get(k)
		got = append(got, k+"|"+v)
	}
	want := []string{"a|2", "b|", "c|", "d|x=y", "|e"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNormalizeArgs(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	Option{Name: "topic"}.Value(fs)
	Option{Name: "codec", OptionalArg: true}.Value(fs)
	Option{Name: "sync"}.Bool(fs)
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"long options unchanged", []string{"--topic", "t", "--sync"}, []string{"--topic", "t", "--sync"}},
		{"single dash long option", []string{"-topic", "t", "-topic=u", "-sync"}, []string{"--topic", "t", "--topic=u", "--sync"}},
		{"unknown single dash left alone", []string{"-xyz"}, []string{"-xyz"}},
		{"optional argument taken", []string{"--codec", "lz4", "--sync"}, []string{"--codec=lz4", "--sync"}},
		{"optional argument absent", []string{"--codec", "--sync"}, []string{"--codec", "--sync"}},
		{"optional argument last", []string{"--codec"}, []string{"--codec"}},
		{"optional argument lone dash", []string{"--codec", "-"}, []string{"--codec=-"}},
		{"after terminator", []string{"--", "-topic", "--codec", "x"}, []string{"--", "-topic", "--codec", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeArgs(fs, tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NormalizeArgs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestValueConversions(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	n := Option{Name: "partitions", Type: "Integer"}.Value(fs)
	l := Option{Name: "timeout", Type: "Long", Default: "1000"}.Value(fs)
	if err := fs.Parse([]string{"--partitions", "abc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Int32(); err == nil || err.Error() != "Cannot parse argument 'abc' of option partitions" {
		t.Errorf("Int32 error = %v", err)
	}
	if v, err := l.Int64(); err != nil || v != 1000 {
		t.Errorf("Int64 default = %d, %v, want 1000", v, err)
	}
	if err := fs.Parse([]string{"--partitions", "3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Get(); err == nil || err.Error() != "Found multiple arguments for option partitions, but you asked for only one" {
		t.Errorf("Get error = %v", err)
	}
}

func TestUsageTable(t *testing.T) {
	io := IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	cmd := NewRoot("tool", "This tool does things.", io)
	fs := cmd.Flags()
	Option{Name: "bootstrap-server", Usage: "REQUIRED: The server(s) to connect to.", Arg: "server to connect to"}.Value(fs)
	Option{Name: "isolation-level", Usage: "Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.", Default: "read_uncommitted"}.Value(fs)
	Option{Name: "compression-codec", Usage: "The compression codec.", Arg: "compression-codec", OptionalArg: true}.Value(fs)
	Option{Name: "max-messages", Usage: "The maximum number of messages.", Arg: "num_messages", Type: "Integer"}.Value(fs)
	Option{Name: "hidden", Usage: "x", Hidden: true}.Value(fs)
	// Shaped as jopt-simple prints it (checked against jopt-simple 5.0.4).
	want := "" +
		"Option                                  Description                            \n" +
		"------                                  -----------                            \n" +
		"--bootstrap-server <String: server to   REQUIRED: The server(s) to connect to. \n" +
		"  connect to>                                                                  \n" +
		"--compression-codec [String:            The compression codec.                 \n" +
		"  compression-codec]                                                           \n" +
		"--help                                  Print usage information.               \n" +
		"--isolation-level <String>              Set to read_committed in order to      \n" +
		"                                          filter out transactional messages    \n" +
		"                                          which are not committed. Set to      \n" +
		"                                          read_uncommitted to read all         \n" +
		"                                          messages. (default: read_uncommitted)\n" +
		"--max-messages <Integer: num_messages>  The maximum number of messages.        \n" +
		"--version                               Display Kafka version.                 \n"
	if got := UsageTable(cmd); got != want {
		t.Errorf("UsageTable:\n%s\nwant:\n%s", got, want)
	}
}

func TestMainErrors(t *testing.T) {
	newCmd := func(io IOStreams) *cobra.Command {
		cmd := NewRoot("tool", "This tool does things.", io)
		Option{Name: "topic", Usage: "The topic."}.Value(cmd.Flags())
		cmd.RunE = func(*cobra.Command, []string) error {
			return &ExitError{Code: 1, Msg: "runtime failure", ToOut: true, Detail: "[log] detail"}
		}
		return cmd
	}
	tests := []struct {
		name               string
		args               []string
		code               int
		wantOut, wantErrIn string
	}{
		{"unknown option", []string{"--nope"}, 1, "", "nope is not a recognized option\nOption"},
		{"missing argument", []string{"--topic"}, 1, "", "Option topic requires an argument\nOption"},
		{"help", []string{"--help"}, 1, "", "This tool does things.\nOption"},
		{"version", []string{"--version"}, 0, "dev\n", ""},
		{"runtime error on stdout", []string{"--topic", "t"}, 1, "runtime failure\n", "[log] detail\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			io := IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
			code := Main(context.Background(), newCmd(io), tt.args, io)
			if code != tt.code {
				t.Errorf("code = %d, want %d", code, tt.code)
			}
			if out.String() != tt.wantOut {
				t.Errorf("stdout = %q, want %q", out.String(), tt.wantOut)
			}
			if !strings.HasPrefix(errOut.String(), tt.wantErrIn) {
				t.Errorf("stderr = %q, want prefix %q", errOut.String(), tt.wantErrIn)
			}
		})
	}
}

func TestSignalContext(t *testing.T) {
	ctx, stop := SignalContext()
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("context not cancelled by SIGTERM")
	}
	if code, ok := SignalExitCode(ctx); !ok || code != 143 {
		t.Errorf("SignalExitCode = %d, %v, want 143, true", code, ok)
	}
	if _, ok := SignalExitCode(context.Background()); ok {
		t.Error("SignalExitCode reports a signal for a plain context")
	}
}

// steps records which of the Runner methods ran.
type steps struct {
	calls       []string
	validateErr error
}

func (s *steps) Complete(*cobra.Command, []string) { s.calls = append(s.calls, "complete") }
func (s *steps) Validate() error                   { s.calls = append(s.calls, "validate"); return s.validateErr }
func (s *steps) Run(context.Context) error         { s.calls = append(s.calls, "run"); return nil }

func TestRunE(t *testing.T) {
	tests := []struct {
		name        string
		validateErr error
		want        []string
	}{
		{"valid", nil, []string{"complete", "validate", "run"}},
		{"invalid", Errorf("bad"), []string{"complete", "validate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &steps{validateErr: tt.validateErr}
			cmd := &cobra.Command{}
			cmd.SetContext(context.Background())
			err := RunE(s)(cmd, nil)
			if err != tt.validateErr {
				t.Errorf("err = %v, want %v", err, tt.validateErr)
			}
			if !reflect.DeepEqual(s.calls, tt.want) {
				t.Errorf("calls = %q, want %q", s.calls, tt.want)
			}
		})
	}
}

func TestNoArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want bool
	}{
		{"empty", nil, true},
		{"option", []string{"--topic", "t"}, false},
		{"argument", []string{"stray"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := &cobra.Command{Run: func(*cobra.Command, []string) {}}
			Option{Name: "topic"}.Value(cmd.Flags())
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			if got := NoArgs(cmd, cmd.Flags().Args()); got != tt.want {
				t.Errorf("NoArgs(%q) = %v, want %v", tt.args, got, tt.want)
			}
		})
	}
}
