package profhttp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func TestStartStop(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	post := func(p string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+p, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, step := range []struct {
		name string
		path string
		want int
	}{
		{name: "stop before start", path: "/profile/stop", want: http.StatusConflict},
		{name: "start without path", path: "/profile/start", want: http.StatusBadRequest},
		{name: "start", path: "/profile/start?path=" + url.QueryEscape(path), want: http.StatusOK},
		{name: "start twice", path: "/profile/start?path=" + url.QueryEscape(path+"2"), want: http.StatusConflict},
		{name: "stop", path: "/profile/stop", want: http.StatusOK},
		{name: "stop twice", path: "/profile/stop", want: http.StatusConflict},
	} {
		if got := post(step.path); got != step.want {
			t.Fatalf("%s: got status %d, want %d", step.name, got, step.want)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 {
		t.Errorf("profile %s is empty", path)
	}
}
