// Package loopback gives tests a TCP server on 127.0.0.1 that runs a
// handler per connection and stops with the test.
package loopback

import (
	"net"
	"sync"
	"testing"
)

// Serve listens on a free loopback port and runs handle on every accepted
// connection in its own goroutine, closing the connection when handle
// returns. When the test ends the listener is closed and Serve's cleanup
// waits for the handlers, so a handler must return once its connection is
// closed by the peer. It returns the listener's address.
func Serve(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}
