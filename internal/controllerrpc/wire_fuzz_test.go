package controllerrpc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func validRequest(f *testing.F) []byte {
	b, err := EncodeRequest(Request{Version: Version, ID: 7, Method: "CreateTopics", TimeoutMs: 4980,
		Body: json.RawMessage(`{"specs":[{"name":"t"}],"validateOnly":false}`)})
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzDecodeRequest checks that any payload decodes without panicking, and
// that a decoded request re-encodes and decodes to the same request.
func FuzzDecodeRequest(f *testing.F) {
	valid := validRequest(f)
	f.Add([]byte{})
	f.Add([]byte("null"))
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(append([]byte{}, valid...), "garbage"...))
	f.Add([]byte(`{"v":1,"id":1,"method":"x","timeoutMs":-1}`))
	f.Add([]byte(`{"v":1,"id":18446744073709551615,"method":"x","body":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeRequest(b)
		if err != nil {
			return
		}
		enc, err := EncodeRequest(req)
		if err != nil {
			t.Fatalf("re-encode decoded request: %v", err)
		}
		again, err := DecodeRequest(enc)
		if err != nil {
			t.Fatalf("decode re-encoded request %s: %v", enc, err)
		}
		if again.Version != req.Version || again.ID != req.ID || again.Method != req.Method || again.TimeoutMs != req.TimeoutMs ||
			!jsonEqual(again.Body, req.Body) {
			t.Fatalf("round trip changed the request:\n got %+v\nwant %+v", again, req)
		}
	})
}

// FuzzDecodeResponse is FuzzDecodeRequest for responses.
func FuzzDecodeResponse(f *testing.F) {
	valid, err := EncodeResponse(Response{ID: 7, Error: &Error{Code: 41, Message: "This is not the correct controller for this cluster."},
		Body: json.RawMessage(`{"results":[{"name":"t","error":{"code":36,"message":"exists"}}]}`)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(append([]byte{}, valid...), "garbage"...))
	f.Add([]byte(`{"id":1,"error":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := DecodeResponse(b)
		if err != nil {
			return
		}
		enc, err := EncodeResponse(resp)
		if err != nil {
			t.Fatalf("re-encode decoded response: %v", err)
		}
		again, err := DecodeResponse(enc)
		if err != nil {
			t.Fatalf("decode re-encoded response %s: %v", enc, err)
		}
		if again.ID != resp.ID || !reflect.DeepEqual(again.Error, resp.Error) || !jsonEqual(again.Body, resp.Body) {
			t.Fatalf("round trip changed the response:\n got %+v\nwant %+v", again, resp)
		}
	})
}

// FuzzReadFrame checks that reading frames from any stream never panics,
// never returns more than the stream held or the maximum allows, and that
// a frame read writes back as the same bytes.
func FuzzReadFrame(f *testing.F) {
	var valid bytes.Buffer
	WriteFrame(&valid, validRequest(f))
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add(valid.Bytes())
	f.Add(valid.Bytes()[:valid.Len()/2])
	f.Add(append(append([]byte{}, valid.Bytes()...), "garbage"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		const max = 1 << 16
		r := bytes.NewReader(b)
		consumed := 0
		for {
			payload, err := ReadFrame(r, max)
			if err != nil {
				return
			}
			if len(payload) == 0 || len(payload) > max {
				t.Fatalf("payload of %d bytes with maximum %d", len(payload), max)
			}
			var out bytes.Buffer
			if err := WriteFrame(&out, payload); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), b[consumed:consumed+out.Len()]) {
				t.Fatal("frame does not write back as the bytes it was read from")
			}
			consumed += out.Len()
			if consumed > len(b) {
				t.Fatalf("consumed %d of %d bytes", consumed, len(b))
			}
		}
	})
}

// jsonEqual compares two JSON documents by value (nil equals absent).
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
