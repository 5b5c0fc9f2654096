// Package profhttp serves net/http/pprof for the benchmark suite's broker
// processes, plus two endpoints that start and stop a CPU profile on demand
// so that a profile covers exactly one benchmark run, and one that counts
// goroutines for the scaling figures:
//
//	POST /profile/start?path=/abs/file.pprof   start writing a CPU profile to path
//	POST /profile/stop                          stop it and close the file
//	GET  /goroutines                            the number of goroutines, as text
//
// Only one profile runs at a time; start while one runs is a 409. The
// handlers are meant for the loopback address of a benchmark and are not
// part of the product.
package profhttp

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	rpprof "runtime/pprof"
	"sync"
)

// Handler returns a mux with the pprof handlers and the start/stop
// endpoints.
func Handler() http.Handler {
	p := &profiler{}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("POST /profile/start", p.start)
	mux.HandleFunc("POST /profile/stop", p.stop)
	mux.HandleFunc("POST /gc", func(w http.ResponseWriter, _ *http.Request) { runtime.GC() })
	mux.HandleFunc("GET /goroutines", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	return mux
}

// profiler owns the CPU profile in progress; mu guards f.
type profiler struct {
	mu sync.Mutex
	f  *os.File
}

func (p *profiler) start(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Query().Get("path")
	if path == "" {
		http.Error(w, "path is required", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f != nil {
		http.Error(w, "a profile is already running: "+p.f.Name(), http.StatusConflict)
		return
	}
	f, err := os.Create(path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := rpprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(path)
		http.Error(w, fmt.Sprintf("start cpu profile: %v", err), http.StatusConflict)
		return
	}
	p.f = f
}

func (p *profiler) stop(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		http.Error(w, "no profile is running", http.StatusConflict)
		return
	}
	rpprof.StopCPUProfile()
	err := p.f.Close()
	name := p.f.Name()
	p.f = nil
	if err != nil {
		http.Error(w, fmt.Sprintf("close %s: %v", name, err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, name)
}
