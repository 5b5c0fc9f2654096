package controllerrpc

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Connection markers: the first byte a dialer writes on the CONTROLLER
// listener.
const (
	// MarkerRaft starts a connection of the metadata quorum's raft
	// transport.
	MarkerRaft byte = 'R'
	// MarkerRPC starts a connection of this package's request/response
	// protocol.
	MarkerRPC byte = 'C'
)

// Version is the request/response protocol version a Request carries.
const Version = 1

// DefaultMaxFrame bounds a frame's payload unless configured otherwise.
const DefaultMaxFrame = 8 << 20

// maxMethodLen bounds a method name.
const maxMethodLen = 64

// Error is a request-level failure as it crosses the wire: a Kafka error
// code (franz-go kerr numbering) and a message.
type Error struct {
	Code    int16  `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return "remote error " + strconv.Itoa(int(e.Code)) + ": " + e.Message
}

// Request is one call.
type Request struct {
	Version int    `json:"v"`
	ID      uint64 `json:"id"`
	// Cluster is the caller's cluster id; a server configured with
	// another one refuses the request.
	Cluster   string          `json:"cluster,omitempty"`
	Method    string          `json:"method"`
	TimeoutMs int64           `json:"timeoutMs"`
	Body      json.RawMessage `json:"body,omitempty"`
}

// Response answers the Request with the same ID.
type Response struct {
	ID    uint64 `json:"id"`
	Error *Error `json:"error,omitempty"`
	// Refused says the server did not run the method at all: it could not
	// read the request, or the request's version or cluster is not its.
	Refused bool            `json:"refused,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// RefusedError is returned by Client.Call when the server refused a
// request without running it (Response.Refused). Unlike *Error, it says
// nothing about the method's outcome, only that this server is the wrong
// one to ask.
type RefusedError struct {
	Code    int16
	Message string
}

func (e *RefusedError) Error() string {
	return "request refused (" + strconv.Itoa(int(e.Code)) + "): " + e.Message
}

// FrameTooLargeError reports a frame length over the receiver's maximum.
type FrameTooLargeError struct {
	Size, Max int
}

func (e *FrameTooLargeError) Error() string {
	return fmt.Sprintf("frame of %d bytes exceeds the maximum of %d", e.Size, e.Max)
}

// WriteFrame writes payload as one frame.
func WriteFrame(w io.Writer, payload []byte) error {
	if len(payload) == 0 || uint64(len(payload)) > uint64(^uint32(0)) {
		return fmt.Errorf("write frame: invalid payload size %d", len(payload))
	}
	buf := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// ReadFrame reads one frame and returns its payload. The length is checked
// against max before anything is allocated. A clean end of stream before
// the first byte is io.EOF; anything short after that is
// io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return nil, errors.New("read frame: empty frame")
	}
	if uint64(n) > uint64(max) {
		return nil, &FrameTooLargeError{Size: int(n), Max: max}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read frame: %w", err)
	}
	return payload, nil
}

// EncodeRequest encodes a request payload.
func EncodeRequest(req Request) ([]byte, error) {
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return b, nil
}

// DecodeRequest decodes a request payload. It accepts any version number
// so that the server can answer an unknown one with an error; the caller
// checks Version.
func DecodeRequest(b []byte) (Request, error) {
	var req Request
	if err := DecodeJSON(b, &req); err != nil {
		return Request{}, fmt.Errorf("decode request: %w", err)
	}
	if err := req.validate(); err != nil {
		return Request{}, fmt.Errorf("decode request: %w", err)
	}
	return req, nil
}

func (r Request) validate() error {
	switch {
	case r.Method == "" || len(r.Method) > maxMethodLen:
		return fmt.Errorf("invalid method name of %d bytes", len(r.Method))
	case r.TimeoutMs < 0:
		return fmt.Errorf("negative timeout %d", r.TimeoutMs)
	}
	return nil
}

// EncodeResponse encodes a response payload.
func EncodeResponse(resp Response) ([]byte, error) {
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return b, nil
}

// DecodeResponse decodes a response payload.
func DecodeResponse(b []byte) (Response, error) {
	var resp Response
	if err := DecodeJSON(b, &resp); err != nil {
		return Response{}, fmt.Errorf("decode response: %w", err)
	}
	return resp, nil
}

// DecodeJSON decodes exactly one JSON value into v, refusing unknown
// fields, a literal null and anything after the value. Method bodies are
// decoded with it too.
func DecodeJSON(b []byte, v any) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return errors.New("value is null")
	}
	return DecodeStrict(b, v)
}

// DecodeStrict decodes exactly one JSON value into v, refusing unknown
// fields and anything after the value; a literal null is decoded as
// encoding/json decodes it (v is left as it was). The metadata log's
// entries are decoded with it.
func DecodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after value")
	}
	return nil
}
