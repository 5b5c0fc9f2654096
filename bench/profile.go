package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
)

// profiler asks a broker started with a pprof address to profile one run
// (bench/profhttp). With no directory it does nothing.
type profiler struct{ dir string }

func (p *profiler) start(b *broker, name string) error {
	if p.dir == "" || b.Spec.PprofAddr == "" {
		return nil
	}
	path, err := filepath.Abs(filepath.Join(p.dir, name+".pprof"))
	if err != nil {
		return err
	}
	_, err = p.post(b, "/profile/start?path="+url.QueryEscape(path))
	return err
}

// stop ends the profile and returns its file.
func (p *profiler) stop(b *broker) (string, error) {
	if p.dir == "" || b.Spec.PprofAddr == "" {
		return "", nil
	}
	body, err := p.post(b, "/profile/stop")
	return strings.TrimSpace(body), err
}

func (p *profiler) post(b *broker, path string) (string, error) {
	resp, err := http.Post("http://"+b.Spec.PprofAddr+path, "", nil)
	if err != nil {
		return "", fmt.Errorf("profile %s: %w", b.Spec.Name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("profile %s: %s: %s", b.Spec.Name, resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}
