package config

import (
	"reflect"
	"testing"
)

func TestParseAddConfig(t *testing.T) {
	p := func(k, v string) Property { return Property{Key: k, Value: v} }
	tests := []struct {
		name    string
		in      string
		want    []Property
		wantErr string
	}{
		{name: "kafka's example", in: "k1=v1,k2=[v1,v2,v2],k3=v3", want: []Property{p("k1", "v1"), p("k2", "v1,v2,v2"), p("k3", "v3")}},
		{name: "spaces", in: " a = b , c=d ", want: []Property{p("a", "b"), p("c", "d")}},
		{name: "empty value", in: "ssl.endpoint.identification.algorithm=", want: []Property{p("ssl.endpoint.identification.algorithm", "")}},
		{name: "equals inside brackets", in: "k=[a=b]", want: []Property{p("k", "a=b")}},
		{name: "trailing comma", in: "a=1,", want: []Property{p("a", "1")}},
		{name: "only a comma", in: ",", want: nil},
		{name: "duplicates kept", in: "a=1,a=2", want: []Property{p("a", "1"), p("a", "2")}},
		{name: "no equals", in: "k", wantErr: `requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".`},
		{name: "empty", in: "", wantErr: `requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".`},
		{name: "two equals", in: "k=v=w", wantErr: `requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".`},
		{name: "bad key", in: "bad key!=1", wantErr: "Invalid character found for config key: bad key!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAddConfig(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParseAddConfig: no panic, and accepted keys only use Kafka's key characters.
func FuzzParseAddConfig(f *testing.F) {
	for _, s := range []string{"", "k", "k1=v1,k2=[v1,v2],k3=v3", "k=[", "k=]", "k=[a,b", "a=1,=,[]]=[", "k1=v1,k2=[v1,v2],k3=v3\x00=[]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		props, err := ParseAddConfig(s)
		if err != nil {
			return
		}
		for _, p := range props {
			if !configKeyChars.MatchString(p.Key) {
				t.Fatalf("accepted key %q", p.Key)
			}
		}
	})
}
