package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/process"
	"github.com/workspace-manager/agent/internal/ptys"
	"github.com/workspace-manager/agent/internal/reaper"
)

const testToken = "test-token-0123456789abcdef0123456789abcdef"

// One reaper per test binary: it owns wait4(-1) for the whole process.
var testReaper *reaper.Reaper

func TestMain(m *testing.M) {
	testReaper = reaper.New(reaper.Options{})
	if err := testReaper.Start(); err != nil {
		panic(err)
	}
	code := m.Run()
	testReaper.Stop()
	os.Exit(code)
}

// agent is a Server listening on a real unix socket, and a client for it.
type agent struct {
	t      testing.TB
	client *http.Client
	token  string
	sock   string
	ptys   *ptys.Manager
}

type agentOpts struct {
	runOutputLimit  int
	ringBytes       int
	followerTimeout time.Duration // also the PTY client timeout
	headerTimeout   time.Duration // the http.Server's ReadHeaderTimeout (default 10s)
	ptyRingBytes    int
}

func startAgent(t testing.TB, opts agentOpts) *agent {
	t.Helper()
	if opts.ringBytes == 0 {
		opts.ringBytes = 1 << 20
	}
	m, err := process.NewManager(process.Config{
		Reaper:    testReaper,
		Workdir:   "/",
		Env:       []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		RingBytes: opts.ringBytes,

		FollowerTimeout: opts.followerTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	pm, err := ptys.NewManager(ptys.Config{
		Reaper: testReaper, Launcher: m, RingBytes: opts.ptyRingBytes, ClientTimeout: opts.followerTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Manager: m, Ptys: pm, Token: testToken, Version: "test", RunOutputLimit: opts.runOutputLimit})
	if err != nil {
		t.Fatal(err)
	}
	// A short directory: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "wma")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if opts.headerTimeout == 0 {
		opts.headerTimeout = 10 * time.Second
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: opts.headerTimeout}
	go func() { _ = hs.Serve(ln) }()
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 64,
	}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		_ = hs.Close()
		for _, p := range m.Running() {
			_ = p.Signal(syscall.SIGKILL)
		}
		pm.SignalAll(syscall.SIGKILL)
		os.RemoveAll(dir)
	})
	return &agent{t: t, client: &http.Client{Transport: transport}, token: testToken, sock: sock, ptys: pm}
}

// do sends a request with the agent's token; body may be nil, a string
// (sent raw) or any value (sent as JSON).
func (a *agent) do(method, path string, body any) *http.Response {
	a.t.Helper()
	req := a.request(method, path, body)
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func (a *agent) request(method, path string, body any) *http.Request {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, "http://agent"+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	return req
}

// call sends a request, checks the status and decodes a JSON reply into out
// (when out is not nil).
func (a *agent) call(method, path string, body any, wantStatus int, out any) {
	a.t.Helper()
	resp := a.do(method, path, body)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		a.t.Fatalf("%s %s: status %d (%s), want %d", method, path, resp.StatusCode, raw, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
}

type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// expectError checks an error reply's status and code.
func (a *agent) expectError(method, path string, body any, status, code int) errorBody {
	a.t.Helper()
	var eb errorBody
	a.call(method, path, body, status, &eb)
	if eb.Error.Code != code || eb.Error.Message == "" {
		a.t.Fatalf("%s %s: error %+v, want code %d with a message", method, path, eb, code)
	}
	return eb
}

func (a *agent) run(body map[string]any) runResponse {
	a.t.Helper()
	var rr runResponse
	a.call("POST", "/v1/processes/run", body, http.StatusOK, &rr)
	return rr
}

func (a *agent) start(body map[string]any) int {
	a.t.Helper()
	var created struct{ Pid int }
	a.call("POST", "/v1/processes", body, http.StatusCreated, &created)
	if created.Pid <= 0 {
		a.t.Fatalf("created pid %d", created.Pid)
	}
	return created.Pid
}

// events reads an NDJSON event stream to its end.
func readEvents(t testing.TB, body io.Reader) []process.Event {
	t.Helper()
	var evs []process.Event
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev process.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("event line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func stdoutText(evs []process.Event) string {
	var sb strings.Builder
	for _, e := range evs {
		if e.Type == process.EventStdout {
			sb.WriteString(e.Data)
		}
	}
	return sb.String()
}

func (a *agent) waitExited(pid int) process.Info {
	a.t.Helper()
	return a.waitExitedWithin(pid, 5*time.Second)
}

func (a *agent) waitExitedWithin(pid int, d time.Duration) process.Info {
	a.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var info process.Info
		a.call("GET", "/v1/processes/"+itoa(pid), nil, http.StatusOK, &info)
		if info.State == process.StateExited {
			return info
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("process %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
