package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/process"
)

func itoa(i int) string { return strconv.Itoa(i) }

func TestRun(t *testing.T) {
	a := startAgent(t, agentOpts{})
	plainFile := filepath.Join(t.TempDir(), "data.txt")
	if err := os.WriteFile(plainFile, []byte("just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body map[string]any
		want runResponse
	}{
		{"echo", map[string]any{"cmd": "echo", "args": []string{"hi"}}, runResponse{Stdout: "hi\n"}},
		{"exit code and stderr", map[string]any{"cmd": "sh", "args": []string{"-c", "echo oops >&2; exit 4"}},
			runResponse{ExitCode: 4, Stderr: "oops\n"}},
		{"env and cwd", map[string]any{"cmd": "sh", "args": []string{"-c", `echo "$A $(pwd)"`}, "env": map[string]string{"A": "<&>"}, "cwd": "/tmp"},
			runResponse{Stdout: "<&> /tmp\n"}},
		{"stdin_data", map[string]any{"cmd": "cat", "stdin_data": "fed\n"}, runResponse{Stdout: "fed\n"}},
		{"timeout", map[string]any{"cmd": "sleep", "args": []string{"10"}, "timeout_ms": 100},
			runResponse{ExitCode: 137, TimedOut: true}},
		{"not found", map[string]any{"cmd": "no-such-command-xyz"},
			runResponse{ExitCode: 127, Stderr: "no-such-command-xyz: command not found\n"}},
		{"not executable", map[string]any{"cmd": plainFile},
			runResponse{ExitCode: 126, Stderr: plainFile + ": permission denied\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.run(tt.body)
			if tt.want.ExitCode < 126 && got.Pid <= 0 {
				t.Fatalf("pid %d", got.Pid)
			}
			got.Pid = 0
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunTruncates(t *testing.T) {
	a := startAgent(t, agentOpts{runOutputLimit: 10})
	got := a.run(map[string]any{"cmd": "sh", "args": []string{"-c", "echo 0123456789abcdef"}})
	if got.Stdout != "0123456789" || !got.Truncated {
		t.Fatalf("got %+v", got)
	}
}

func TestStartFailureIsValidationError(t *testing.T) {
	a := startAgent(t, agentOpts{})
	eb := a.expectError("POST", "/v1/processes", map[string]any{"cmd": "no-such-command-xyz"}, http.StatusBadRequest, codeValidation)
	if !strings.Contains(eb.Error.Message, "command not found") {
		t.Fatalf("message %q", eb.Error.Message)
	}
}

func TestRequestValidation(t *testing.T) {
	a := startAgent(t, agentOpts{})
	pid := a.start(map[string]any{"cmd": "sleep", "args": []string{"30"}})
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   int
	}{
		{"no body", "POST", "/v1/processes", nil, 400, codeValidation},
		{"malformed JSON", "POST", "/v1/processes", `{"cmd":`, 400, codeValidation},
		{"unknown field", "POST", "/v1/processes", map[string]any{"cmd": "true", "timeout": 5}, 400, codeValidation},
		{"stdin_data only on run", "POST", "/v1/processes", map[string]any{"cmd": "cat", "stdin_data": "x"}, 400, codeValidation},
		{"wrong type", "POST", "/v1/processes/run", map[string]any{"cmd": "true", "timeout_ms": "5"}, 400, codeValidation},
		{"trailing data", "POST", "/v1/processes/run", `{"cmd":"true"} {}`, 400, codeValidation},
		{"missing cmd", "POST", "/v1/processes/run", map[string]any{"args": []string{"x"}}, 400, codeValidation},
		{"unknown pid", "GET", "/v1/processes/999999999", nil, 404, codeProcessNotFound},
		{"pid not a number", "GET", "/v1/processes/abc", nil, 404, codeProcessNotFound},
		{"events of unknown pid", "GET", "/v1/processes/999999999/events", nil, 404, codeProcessNotFound},
		{"bad after", "GET", "/v1/processes/" + itoa(pid) + "/events?after=-1", nil, 400, codeValidation},
		{"signal unknown pid", "POST", "/v1/processes/999999999/signal", map[string]any{"signal": 15}, 404, codeProcessNotFound},
		{"signal zero", "POST", "/v1/processes/" + itoa(pid) + "/signal", map[string]any{"signal": 0}, 400, codeValidation},
		{"signal missing", "POST", "/v1/processes/" + itoa(pid) + "/signal", map[string]any{}, 400, codeValidation},
		{"signal too big", "POST", "/v1/processes/" + itoa(pid) + "/signal", map[string]any{"signal": 65}, 400, codeValidation},
		{"stdin not open", "POST", "/v1/processes/" + itoa(pid) + "/stdin", "x", 400, codeValidation},
		{"bad eof", "POST", "/v1/processes/" + itoa(pid) + "/stdin?eof=maybe", "x", 400, codeValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.expectError(tt.method, tt.path, tt.body, tt.status, tt.code)
		})
	}
}

func TestProcessLifecycle(t *testing.T) {
	a := startAgent(t, agentOpts{})
	pid := a.start(map[string]any{"cmd": "cat", "stdin": true, "tag": "shell"})

	var info process.Info
	a.call("GET", "/v1/processes/"+itoa(pid), nil, http.StatusOK, &info)
	if info.State != process.StateRunning || info.Tag != "shell" || info.ExitCode != nil || info.EndedAt != nil || info.Cmd != "cat" {
		t.Fatalf("info %+v", info)
	}

	// Follow while running.
	stream := a.do("GET", "/v1/processes/"+itoa(pid)+"/events", nil)
	if ct := stream.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	followed := make(chan []process.Event, 1)
	go func() {
		defer stream.Body.Close()
		followed <- readEvents(t, stream.Body)
	}()

	a.call("POST", "/v1/processes/"+itoa(pid)+"/stdin", "hello ", http.StatusNoContent, nil)
	a.call("POST", "/v1/processes/"+itoa(pid)+"/stdin?eof=true", "world\n", http.StatusNoContent, nil)

	var evs []process.Event
	select {
	case evs = <-followed:
	case <-time.After(5 * time.Second):
		t.Fatal("event stream did not end after exit")
	}
	if evs[0].Type != process.EventStart || evs[0].Pid != pid || evs[len(evs)-1].Type != process.EventExit {
		t.Fatalf("events %+v", evs)
	}
	if got := stdoutText(evs); got != "hello world\n" {
		t.Fatalf("stdout %q", got)
	}

	info = a.waitExited(pid)
	if *info.ExitCode != 0 || info.TimedOut || info.EndedAt == nil {
		t.Fatalf("info %+v", info)
	}
	var list struct{ Processes []process.Info }
	a.call("GET", "/v1/processes", nil, http.StatusOK, &list)
	if len(list.Processes) != 1 || list.Processes[0].Pid != pid {
		t.Fatalf("list %+v", list)
	}
}

func TestReplayAfterExit(t *testing.T) {
	a := startAgent(t, agentOpts{})
	rr := a.run(map[string]any{"cmd": "sh", "args": []string{"-c", "echo a; echo b; exit 2"}})
	resp := a.do("GET", "/v1/processes/"+itoa(rr.Pid)+"/events", nil)
	evs := readEvents(t, resp.Body)
	resp.Body.Close()
	last := evs[len(evs)-1]
	if evs[0].Type != process.EventStart || last.Type != process.EventExit || *last.Code != 2 || stdoutText(evs) != "a\nb\n" {
		t.Fatalf("events %+v", evs)
	}
	resp = a.do("GET", fmt.Sprintf("/v1/processes/%d/events?after=%d", rr.Pid, last.Seq-1), nil)
	tail := readEvents(t, resp.Body)
	resp.Body.Close()
	if len(tail) != 1 || tail[0].Seq != last.Seq {
		t.Fatalf("after %d: %+v", last.Seq-1, tail)
	}
}

func TestEventsReportDropped(t *testing.T) {
	a := startAgent(t, agentOpts{ringBytes: 4096})
	rr := a.run(map[string]any{"cmd": "sh", "args": []string{"-c", "head -c 100000 /dev/zero | tr '\\0' x"}})
	if len(rr.Stdout) != 100000 {
		t.Fatalf("run collected %d bytes; it must not depend on the ring", len(rr.Stdout))
	}
	resp := a.do("GET", "/v1/processes/"+itoa(rr.Pid)+"/events", nil)
	evs := readEvents(t, resp.Body)
	resp.Body.Close()
	if evs[1].Dropped <= 0 || evs[1].Dropped+int64(len(stdoutText(evs))) != 100000 {
		t.Fatalf("dropped %d, kept %d", evs[1].Dropped, len(stdoutText(evs)))
	}
}

func TestSignal(t *testing.T) {
	a := startAgent(t, agentOpts{})
	pid := a.start(map[string]any{"cmd": "sh", "args": []string{"-c", "sleep 30 & wait"}})
	a.call("POST", "/v1/processes/"+itoa(pid)+"/signal", map[string]any{"signal": 9}, http.StatusNoContent, nil)
	info := a.waitExited(pid)
	if *info.ExitCode != 137 || info.TimedOut {
		t.Fatalf("info %+v", info)
	}
	// Signalling a process that has ended (with its group) is harmless.
	time.Sleep(50 * time.Millisecond)
	a.call("POST", "/v1/processes/"+itoa(pid)+"/signal", map[string]any{"signal": 15}, http.StatusNoContent, nil)
}

func TestFollowerDisconnectLeavesNoGoroutines(t *testing.T) {
	a := startAgent(t, agentOpts{})
	pid := a.start(map[string]any{"cmd": "sleep", "args": []string{"30"}})
	// Warm up one connection so the baseline includes the transport's own.
	a.call("GET", "/v1/processes", nil, http.StatusOK, nil)
	a.client.Transport.(*http.Transport).CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	baseline := runtime.NumGoroutine()

	const followers = 20
	var wg sync.WaitGroup
	for i := 0; i < followers; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		resp, err := a.client.Do(a.request("GET", "/v1/processes/"+itoa(pid)+"/events", nil).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 512)
			_, _ = resp.Body.Read(buf) // the start event
			cancel()
			resp.Body.Close()
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestConcurrentRuns(t *testing.T) {
	a := startAgent(t, agentOpts{})
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := a.client.Do(a.request("POST", "/v1/processes/run",
				map[string]any{"cmd": "sh", "args": []string{"-c", "echo $0", "run" + itoa(i)}}))
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			rr := readRun(resp)
			if resp.StatusCode != 200 || rr.Stdout != "run"+itoa(i)+"\n" || rr.ExitCode != 0 {
				errs <- fmt.Sprintf("run %d: status %d %+v", i, resp.StatusCode, rr)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
