package consumergroups

import (
	"errors"
	"io"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
)

func validate(t *testing.T, args ...string) ([]string, error) {
	t.Helper()
	o, cmd := newCommand(cli.IOStreams{Out: io.Discard, ErrOut: io.Discard})
	fs := cmd.Flags()
	if err := fs.Parse(cli.NormalizeArgs(fs, args)); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	o.Complete(cmd, fs.Args())
	return o.Validate()
}

const bs = "--bootstrap-server=h:9092"

func TestValidate(t *testing.T) {
	const warn = "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting."
	tests := []struct {
		name     string
		args     []string
		wantMsg  string // "" for no error
		usage    bool
		wantWarn bool
	}{
		{"no arguments", nil, description, true, false},
		{"bootstrap first", []string{"--describe"}, `Missing required argument "[bootstrap-server]"`, true, false},
		{"list", []string{bs, "--list"}, "", false, false},
		{"list with states", []string{bs, "--list", "--state", "stable,empty"}, "", false, false},
		{"list with types", []string{bs, "--list", "--type"}, "", false, false},
		{"describe needs a group", []string{bs, "--describe"}, "Option [describe] takes one of these options: [all-groups], [group]", true, false},
		{"describe one mode", []string{bs, "--describe", "--all-groups", "--state", "--members"}, "Option [describe] takes at most one of these options: [members], [offsets], [state]", true, false},
		{"describe state value", []string{bs, "--describe", "--group", "g", "--state", "Empty"}, "Option [describe] does not take a value for [state]", true, false},
		{"describe members verbose", []string{bs, "--describe", "--group", "g", "--members", "--verbose"}, "", false, false},
		{"describe state", []string{bs, "--describe", "--group", "g", "--state"}, "", false, false},
		{"delete needs a group", []string{bs, "--delete"}, "Option [delete] takes one of these options: [all-groups], [group]", true, false},
		{"delete with topic", []string{bs, "--delete", "--group", "g", "--topic", "t"}, "The consumer does not support topic-specific offset deletion from a consumer group.", true, false},
		{"delete offsets needs group and topic", []string{bs, "--delete-offsets", "--topic", "t"}, "Option [delete-offsets] takes the following options: [topic], [group]", true, false},
		{"delete offsets", []string{bs, "--delete-offsets", "--topic", "t", "--group", "g"}, "", false, false},
		{"reset dry run and execute", []string{bs, "--reset-offsets", "--dry-run", "--execute"}, "Option [reset-offsets] only accepts one of [execute] and [dry-run]", true, false},
		{"reset warns then needs a group", []string{bs, "--reset-offsets"}, "Option [reset-offsets] takes one of these options: [all-groups], [group]", true, true},
		{"reset two scenarios", []string{bs, "--reset-offsets", "--group", "g", "--execute", "--shift-by", "1", "--to-current"}, `Option "[to-current]" can't be used with option "[shift-by]"`, true, false},
		{"reset datetime and duration", []string{bs, "--reset-offsets", "--group", "g", "--dry-run", "--by-duration", "PT1H", "--to-datetime", "x"}, `Option "[to-datetime]" can't be used with option "[by-duration]"`, true, false},
		{"reset without scenario is checked later", []string{bs, "--reset-offsets", "--group", "g", "--dry-run"}, "", false, false},
		{"reset dry run by default", []string{bs, "--reset-offsets", "--group", "g", "--to-earliest", "--all-topics"}, "", false, true},
		{"group and all groups", []string{bs, "--reset-offsets", "--group", "g", "--all-groups", "--dry-run"}, `Option "[group]" can't be used with option "[all-groups]"`, true, false},
		{"group with list", []string{bs, "--list", "--group", "g"}, `Option "[group]" can't be used with option "[list]"`, true, false},
		{"topic with list", []string{bs, "--list", "--topic", "t"}, `Option "[topic]" can't be used with option "[list]"`, true, false},
		{"topic with describe", []string{bs, "--describe", "--all-groups", "--topic", "t"}, `Option "[topic]" can't be used with option "[describe]"`, true, false},
		{"no action", []string{bs, "--group", "g"}, "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets", true, false},
		{"two actions", []string{bs, "--delete", "--delete-offsets", "--group", "g", "--topic", "t"}, "The consumer does not support topic-specific offset deletion from a consumer group.", true, false},
		{"two actions without conflicts", []string{bs, "--describe", "--reset-offsets", "--group", "g", "--dry-run"}, "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets", true, false},
		{"members without describe", []string{bs, "--list", "--members"}, `Exception in thread "main" joptsimple.UnavailableOptionException: Option(s) [members] are unavailable given other options on the command line`, false, false},
		{"state without describe or list", []string{bs, "--delete", "--state"}, `Exception in thread "main" joptsimple.UnavailableOptionException: Option(s) [state] are unavailable given other options on the command line`, false, false},
		{"unavailable before missing bootstrap", []string{"--type"}, `Exception in thread "main" joptsimple.UnavailableOptionException: Option(s) [type] are unavailable given other options on the command line`, false, false},
		{"json output", []string{bs, "--list", "--output", "json"}, "", false, false},
		{"bad output", []string{bs, "--list", "--output", "xml"}, "Invalid value 'xml' for option output: use one of plain, json", true, false},
		{"json with export", []string{bs, "--reset-offsets", "--all-groups", "--all-topics", "--to-latest", "--export", "--dry-run", "--output", "json"}, `Option "[output]" can't be used with option "[export]"`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings, err := validate(t, tt.args...)
			if gotWarn := len(warnings) == 1 && warnings[0] == warn; gotWarn != tt.wantWarn || len(warnings) > 1 {
				t.Errorf("warnings = %q, want the dry-run warning: %v", warnings, tt.wantWarn)
			}
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want no error", err)
				}
				return
			}
			var ee *cli.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("Validate() = %v, want %q", err, tt.wantMsg)
			}
			if ee.Msg != tt.wantMsg || ee.Usage != tt.usage || ee.Code != cli.ExitFailure {
				t.Errorf("Validate() = %q (usage %v, code %d), want %q (usage %v, code 1)", ee.Msg, ee.Usage, ee.Code, tt.wantMsg, tt.usage)
			}
		})
	}
}

func TestParseStatesAndTypes(t *testing.T) {
	tests := []struct {
		name, in string
		types    bool
		want     []string
		err      string
	}{
		{"empty", "", false, nil, ""},
		{"any case", "stable,EMPTY", false, []string{"Stable", "Empty"}, ""},
		{"spaces trimmed", " stable , dead ", false, []string{"Stable", "Dead"}, ""},
		{"duplicates once", "stable,Stable", false, []string{"Stable"}, ""},
		{"only commas", ",", false, nil, ""},
		{"unknown", "stable,bogus", false, nil, "Invalid state list 'stable,bogus'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty, Assigning, Reconciling"},
		{"Unknown is not a state", "unknown", false, nil, "Invalid state list 'unknown'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty, Assigning, Reconciling"},
		{"leading comma", ",stable", false, nil, "Invalid state list ',stable'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty, Assigning, Reconciling"},
		{"types", "CLASSIC,consumer", true, []string{"Classic", "Consumer"}, ""},
		{"unknown type", "Classic,streams", true, nil, "Invalid types list 'Classic,streams'. Valid types are: Consumer, Classic, Share"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse := parseStates
			if tt.types {
				parse = parseTypes
			}
			got, err := parse(tt.in)
			if tt.err != "" {
				var ee *cli.ExitError
				if !errors.As(err, &ee) || ee.Msg != tt.err || !ee.Usage {
					t.Fatalf("parse(%q) = %q, %v; want usage error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("parse(%q) = %q, want %q", tt.in, got, tt.want)
				}
			}
		})
	}
}
