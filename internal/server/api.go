package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// api is one entry of the dispatch table: the version range we serve and
// the handler. The table is the single source of the ApiVersions answer, so
// we advertise exactly what the handlers decode.
type api struct {
	min, max int16
	// handle returns the response, or nil for requests that get no
	// response (Produce with acks=0). An error closes the connection.
	handle func(ctx context.Context, s *Server, c *conn, r *request) (kmsg.Response, error)
}

const apiVersionsKey = 18

// typed adapts a handler that takes and returns concrete kmsg types.
func typed[Req kmsg.Request, Resp kmsg.Response](fn func(s *Server, ctx context.Context, c *conn, r *request, req Req) Resp) func(context.Context, *Server, *conn, *request) (kmsg.Response, error) {
	return func(ctx context.Context, s *Server, c *conn, r *request) (kmsg.Response, error) {
		req, ok := r.kreq.(Req)
		if !ok {
			return nil, fmt.Errorf("request type %T does not match api key %d", r.kreq, r.key)
		}
		resp := fn(s, ctx, c, r, req)
		if isNil(resp) {
			return nil, nil
		}
		return resp, nil
	}
}

func isNil(r kmsg.Response) bool {
	if r == nil {
		return true
	}
	// A typed nil pointer inside the interface also means "no response".
	switch v := r.(type) {
	case *kmsg.ProduceResponse:
		return v == nil
	}
	return false
}

// framePool recycles response buffers between the processor and the writer.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (s *Server) putFrame(b []byte) {
	if cap(b) > 16<<20 {
		return // do not keep huge fetch responses around
	}
	b = b[:0]
	framePool.Put(&b)
}

// handle runs the request's handler and returns the encoded response frame
// (size prefix included), or nil when the request gets no response.
func (s *Server) handle(ctx context.Context, c *conn, r *request) ([]byte, error) {
	var resp kmsg.Response
	if r.kreq == nil {
		// ApiVersions at a version we do not know: v0 body, error 35, and our
		// own ApiVersions range so the client can retry (KIP-511).
		v := kmsg.NewPtrApiVersionsResponse()
		v.Version = 0
		v.ErrorCode = kerr.UnsupportedVersion.Code
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey = apiVersionsKey
		k.MinVersion = s.apis[apiVersionsKey].min
		k.MaxVersion = s.apis[apiVersionsKey].max
		v.ApiKeys = append(v.ApiKeys, k)
		resp = v
	} else {
		var produceThrottle time.Duration
		if p, ok := r.kreq.(*kmsg.ProduceRequest); ok {
			produceThrottle = s.chargeProduce(r.clientID, p)
		}
		start := time.Now()
		var err error
		resp, err = s.apis[r.key].handle(ctx, s, c, r)
		if err != nil {
			return nil, err
		}
		s.throttle(c, r, resp, time.Since(start), produceThrottle)
		if resp == nil {
			return nil, nil
		}
	}
	var buf []byte
	if hint := sizeHint(resp); hint > 64<<10 {
		// Large responses (fetches) are sized up front so encoding does
		// not regrow the buffer; a pooled buffer is used when it is big
		// enough, so that steady fetching allocates no new frames.
		if bp := framePool.Get().(*[]byte); cap(*bp) >= hint {
			buf = (*bp)[:0]
		} else {
			framePool.Put(bp)
			buf = make([]byte, 0, hint)
		}
	} else {
		buf = (*framePool.Get().(*[]byte))[:0]
	}
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0) // size + correlation id
	binary.BigEndian.PutUint32(buf[4:], uint32(r.corr))
	// Flexible responses carry a tagged-field section in the header, except
	// ApiVersions, whose response header is always v0.
	if resp.IsFlexible() && r.key != apiVersionsKey {
		buf = append(buf, 0)
	}
	buf = resp.AppendTo(buf)
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	return buf, nil
}

// sizeHint estimates the encoded size of responses that carry record data.
func sizeHint(resp kmsg.Response) int {
	f, ok := resp.(*kmsg.FetchResponse)
	if !ok {
		return 0
	}
	n := 64
	for _, t := range f.Topics {
		n += 64 + len(t.Topic)
		for _, p := range t.Partitions {
			n += 96 + len(p.RecordBatches) + 24*len(p.AbortedTransactions)
		}
	}
	return n
}

// chargeProduce charges a produce request's record bytes to its client's
// producer_byte_rate quota.
func (s *Server) chargeProduce(clientID string, p *kmsg.ProduceRequest) time.Duration {
	n := 0
	for _, t := range p.Topics {
		for _, pp := range t.Partitions {
			n += len(pp.Records)
		}
	}
	return s.charge(clientID, quotaProduce, float64(n), time.Now())
}
