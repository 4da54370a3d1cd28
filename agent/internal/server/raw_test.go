package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/workspace-manager/agent/internal/process"
)

// runRaw posts a raw run and reads its body to the end.
func (a *agent) runRaw(body map[string]any) (*http.Response, []byte) {
	a.t.Helper()
	resp := a.do("POST", "/v1/processes/raw", body)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("read raw body: %v", err)
	}
	return resp, out
}

func TestRawStreamsExactBytes(t *testing.T) {
	a := startAgent(t, agentOpts{})
	// Random bytes: invalid UTF-8, NULs and line breaks all come through as written.
	data := make([]byte, 8<<20+123)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	resp, out := a.runRaw(map[string]any{"cmd": "cat", "args": []string{file}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if sha256.Sum256(out) != sha256.Sum256(data) {
		t.Fatalf("got %d bytes, want the %d written", len(out), len(data))
	}
	if resp.Trailer.Get("X-Exit-Code") != "0" || resp.Trailer.Get("X-Timed-Out") != "false" {
		t.Fatalf("trailers %v", resp.Trailer)
	}
	pid, err := strconv.Atoi(resp.Header.Get("X-Pid"))
	if err != nil || pid <= 0 {
		t.Fatalf("X-Pid %q", resp.Header.Get("X-Pid"))
	}
	// The process is listed like any other, and its events carry no stdout.
	info := a.waitExited(pid)
	if info.ExitCode == nil || *info.ExitCode != 0 {
		t.Fatalf("info %+v", info)
	}
	events := a.do("GET", "/v1/processes/"+itoa(pid)+"/events", nil)
	defer events.Body.Close()
	evs := readEvents(t, events.Body)
	if len(evs) != 2 || evs[0].Type != process.EventStart || evs[1].Type != process.EventExit {
		t.Fatalf("events %+v", evs)
	}
}

func TestRawExitCodeAndStderr(t *testing.T) {
	a := startAgent(t, agentOpts{})
	resp, out := a.runRaw(map[string]any{
		"cmd": "sh", "args": []string{"-c", "printf out; printf err >&2; exit 3"},
	})
	if string(out) != "out" || resp.Trailer.Get("X-Exit-Code") != "3" {
		t.Fatalf("body %q, trailers %v", out, resp.Trailer)
	}
	pid := resp.Header.Get("X-Pid")
	events := a.do("GET", "/v1/processes/"+pid+"/events", nil)
	defer events.Body.Close()
	evs := readEvents(t, events.Body)
	var stderr string
	for _, ev := range evs {
		if ev.Type == process.EventStderr {
			stderr += ev.Data
		}
	}
	if stderr != "err" || stdoutText(evs) != "" {
		t.Fatalf("events %+v", evs)
	}
}

func TestRawStdinDataAndTimeout(t *testing.T) {
	a := startAgent(t, agentOpts{})
	resp, out := a.runRaw(map[string]any{"cmd": "cat", "stdin_data": "fed in"})
	if string(out) != "fed in" || resp.Trailer.Get("X-Exit-Code") != "0" {
		t.Fatalf("body %q, trailers %v", out, resp.Trailer)
	}
	resp, _ = a.runRaw(map[string]any{"cmd": "sleep", "args": []string{"30"}, "timeout_ms": 50})
	if resp.Trailer.Get("X-Exit-Code") != "137" || resp.Trailer.Get("X-Timed-Out") != "true" {
		t.Fatalf("trailers %v", resp.Trailer)
	}
}

func TestRawRefusesBadRequests(t *testing.T) {
	a := startAgent(t, agentOpts{})
	a.expectError("POST", "/v1/processes/raw", map[string]any{"cmd": "no-such-command-xyz"}, http.StatusBadRequest, codeValidation)
	a.expectError("POST", "/v1/processes/raw", map[string]any{"cmd": "true", "bogus": 1}, http.StatusBadRequest, codeValidation)
	a.expectError("POST", "/v1/processes/raw", "", http.StatusBadRequest, codeValidation)
}

func TestRawClientGoneKillsProcess(t *testing.T) {
	a := startAgent(t, agentOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A process that never ends and writes without pause.
	req := a.request("POST", "/v1/processes/raw", map[string]any{"cmd": "yes"}).WithContext(ctx)
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(resp.Header.Get("X-Pid"))
	buf := make([]byte, 4096)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || !bytes.HasPrefix(buf, []byte("y\ny\n")) {
		t.Fatalf("read %q: %v", buf[:8], err)
	}
	cancel()
	resp.Body.Close()
	info := a.waitExited(pid)
	if info.ExitCode == nil || *info.ExitCode != 128+9 {
		t.Fatalf("info %+v", info)
	}
}
