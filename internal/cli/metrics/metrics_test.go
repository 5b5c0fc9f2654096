package metrics

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestMax(t *testing.T) {
	var m Max
	if got := m.Load(); got != 0 {
		t.Fatalf("zero Max = %d, want 0", got)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); i < 1000; i++ {
				m.Observe(i*8 + int64(g))
			}
		}()
	}
	wg.Wait()
	if got, want := m.Load(), int64(999*8+7); got != want {
		t.Errorf("Max = %d, want %d", got, want)
	}
}

func TestConnections(t *testing.T) {
	var c Connections
	c.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, nil)
	c.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, nil)
	c.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, errors.New("refused"))
	if got, want := [2]int64{c.Created.Load(), c.Failed.Load()}, [2]int64{2, 1}; got != want {
		t.Errorf("created, failed = %v, want %v", got, want)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		name       string
		a, b, want float64
	}{
		{"rate", 10, 4, 2.5},
		{"empty interval", 10, 0, 0},
		{"nothing over nothing", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ratio(tt.a, tt.b); got != tt.want {
				t.Errorf("Ratio(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestPrint(t *testing.T) {
	var b strings.Builder
	err := Print(&b, map[string]float64{
		"producer-metrics:record-send-total:{client-id=p}": 1000,
		"producer-metrics:batch-size-avg:{client-id=p}":    0.125,
		"producer-metrics:request-rate:{client-id=p}":      math.NaN(),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "\n" +
		"Metric Name                                        Value\n" +
		"producer-metrics:batch-size-avg:{client-id=p}    : 0.125\n" +
		"producer-metrics:record-send-total:{client-id=p} : 1000.000\n" +
		"producer-metrics:request-rate:{client-id=p}      : NaN\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
