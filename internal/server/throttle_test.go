package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/record"
)

// TestProducerByteRateThrottles sets a producer_byte_rate quota for one
// client id and checks that its produce responses carry a throttle time,
// while another client id is not throttled.
func TestProducerByteRateThrottles(t *testing.T) {
	b := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "q"); err != nil {
		t.Fatal(err)
	}
	res, err := adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{{
		Entity: kadm.ClientQuotaEntity{{Type: "client-id", Name: kadm.StringPtr("slow")}},
		Ops:    []kadm.AlterClientQuotaOp{{Key: "producer_byte_rate", Value: 20000}},
	}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("set quota: %v %v", err, res)
	}

	payload := make([]byte, 60000)
	bld := record.NewBuilder(record.CodecNone)
	bld.Add(record.Record{Value: payload, Timestamp: time.Now().UnixMilli()})
	batch, _ := bld.Build()
	produce := func(clientID string) int32 {
		req := kmsg.NewPtrProduceRequest()
		req.Version = 9
		req.Acks = 1
		req.TimeoutMillis = 5000
		tp := kmsg.NewProduceRequestTopicPartition()
		tp.Records = batch
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "q"
		rt.Partitions = append(rt.Partitions, tp)
		req.Topics = append(req.Topics, rt)
		pc, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.ClientID(clientID))
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		resp, err := req.RequestWith(ctx, pc)
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != 0 {
			t.Fatalf("produce error %d", code)
		}
		return resp.ThrottleMillis
	}
	var throttled int32
	for i := 0; i < 6 && throttled == 0; i++ {
		throttled = produce("slow")
	}
	if throttled <= 0 {
		t.Fatal("a client over its producer_byte_rate was never throttled")
	}
	if got := produce("fast"); got != 0 {
		t.Fatalf("a client without a quota was throttled for %d ms", got)
	}
}
