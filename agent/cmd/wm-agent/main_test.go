package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	runAsAgentEnv = "WM_AGENT_TEST_RUN_AS_AGENT"
	testToken     = "cmd-test-token-0123456789abcdef0123456789"
	staleReady    = "left by an earlier run"
)

// TestMain lets the tests start this binary as the agent itself.
func TestMain(m *testing.M) {
	if os.Getenv(runAsAgentEnv) == "1" {
		os.Unsetenv(runAsAgentEnv)
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type agentProc struct {
	cmd    *exec.Cmd
	dir    string
	sock   string
	client *http.Client
	stderr *bytes.Buffer
	exited chan error
}

func startAgentProcess(t *testing.T, token string, args ...string) *agentProc {
	t.Helper()
	return startAgentIn(t, newAgentDir(t), token, args...)
}

func newAgentDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wmc") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startAgentIn(t *testing.T, dir, token string, args ...string) *agentProc {
	t.Helper()
	sock := filepath.Join(dir, "run", "agent.sock")
	cmd := exec.Command(os.Args[0], append([]string{"--socket", sock, "--workdir", dir}, args...)...)
	cmd.Env = append(os.Environ(), runAsAgentEnv+"=1", "WM_AGENT_TOKEN="+token, "WM_PASSED_THROUGH=yes")
	a := &agentProc{cmd: cmd, dir: dir, sock: sock, stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-a.exited
		if t.Failed() {
			t.Logf("agent stderr:\n%s", a.stderr)
		}
	})
	a.client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	return a
}

func (a *agentProc) waitReady(t *testing.T) string {
	t.Helper()
	ready := filepath.Join(filepath.Dir(a.sock), "ready")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil && string(b) != staleReady {
			return string(b)
		}
		select {
		case err := <-a.exited:
			a.exited <- err
			t.Fatalf("agent exited before ready: %v\n%s", err, a.stderr)
		default:
		}
	}
	t.Fatal("ready file did not appear")
	return ""
}

func (a *agentProc) call(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://agent"+path, r)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

func (a *agentProc) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case err := <-a.exited:
		a.exited <- err
		if err == nil {
			return 0
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		t.Fatalf("agent: %v", err)
	case <-time.After(within):
		t.Fatalf("agent still running after %v", within)
	}
	return -1
}

type runReply struct {
	Pid      int    `json:"pid"`
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
}

func TestRefusesMissingOrShortToken(t *testing.T) {
	for _, token := range []string{"", "too-short"} {
		t.Run("token "+strconv.Quote(token), func(t *testing.T) {
			a := startAgentProcess(t, token)
			if code := a.waitExit(t, 10*time.Second); code != 2 {
				t.Fatalf("exit code %d, want 2", code)
			}
			if !strings.Contains(a.stderr.String(), "WM_AGENT_TOKEN") {
				t.Fatalf("stderr %q does not name the variable", a.stderr)
			}
		})
	}
}

func TestAgentServesAndShutsDown(t *testing.T) {
	// A stale socket and ready file from an earlier run are replaced.
	dir := newAgentDir(t)
	leaveStaleSocket(t, filepath.Join(dir, "run", "agent.sock"))
	if err := os.WriteFile(filepath.Join(dir, "run", "ready"), []byte(staleReady), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgentIn(t, dir, testToken, "--", "sh", "-c", "echo main-started; exec sleep 300")
	if v := a.waitReady(t); v != "dev" {
		t.Fatalf("ready file holds %q, want the version", v)
	}
	info, err := os.Stat(a.sock)
	if err != nil || info.Mode().Perm() != 0o600 || info.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket %v mode %v", err, info.Mode())
	}

	nonce := "0123456789abcdef"
	var hello struct{ Version, Proof string }
	if code := a.call(t, "GET", "/v1/hello?nonce="+nonce, nil, &hello); code != 200 {
		t.Fatalf("hello status %d", code)
	}
	mac := hmac.New(sha256.New, []byte(testToken))
	mac.Write([]byte(nonce))
	if hello.Proof != hex.EncodeToString(mac.Sum(nil)) || hello.Version != "dev" {
		t.Fatalf("hello %+v", hello)
	}

	var env runReply
	a.call(t, "POST", "/v1/processes/run", map[string]any{"cmd": "env"}, &env)
	if strings.Contains(env.Stdout, "WM_AGENT_TOKEN") || !strings.Contains(env.Stdout, "WM_PASSED_THROUGH=yes") {
		t.Fatalf("child environment:\n%s", env.Stdout)
	}
	var pwd runReply
	a.call(t, "POST", "/v1/processes/run", map[string]any{"cmd": "pwd"}, &pwd)
	if strings.TrimSpace(pwd.Stdout) != a.dir {
		t.Fatalf("default cwd %q, want --workdir %q", pwd.Stdout, a.dir)
	}

	var list struct {
		Processes []struct {
			Pid   int    `json:"pid"`
			Tag   string `json:"tag"`
			State string `json:"state"`
		} `json:"processes"`
	}
	a.call(t, "GET", "/v1/processes", nil, &list)
	mainPid := 0
	for _, p := range list.Processes {
		if p.Tag == "main" && p.State == "running" {
			mainPid = p.Pid
		}
	}
	if mainPid == 0 {
		t.Fatalf("no running main process in %+v", list)
	}

	// A process that cleans up on SIGTERM gets to do so.
	marker := filepath.Join(a.dir, "terminated")
	var started struct{ Pid int }
	if code := a.call(t, "POST", "/v1/processes", map[string]any{"cmd": "sh", "args": []string{"-c",
		"trap 'echo done > " + marker + "; exit 0' TERM; while :; do sleep 0.05; done"}}, &started); code != 201 {
		t.Fatalf("start status %d", code)
	}
	time.Sleep(100 * time.Millisecond) // let the shell install its trap

	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := a.waitExit(t, 8*time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "done\n" {
		t.Fatalf("SIGTERM handler did not run: %v %q", err, b)
	}
	for _, pid := range []int{mainPid, started.Pid} {
		waitGone(t, pid)
	}
	for _, path := range []string{a.sock, filepath.Join(filepath.Dir(a.sock), "ready")} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("%s left behind: %v", path, err)
		}
	}
}

func TestShutdownKillsWhatIgnoresTerm(t *testing.T) {
	a := startAgentProcess(t, testToken, "--shutdown-grace", "300ms")
	a.waitReady(t)
	var started struct{ Pid int }
	a.call(t, "POST", "/v1/processes", map[string]any{"cmd": "sh", "args": []string{"-c",
		"trap '' TERM; while :; do sleep 0.05; done"}}, &started)
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	if code := a.waitExit(t, 8*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if took := time.Since(began); took < 300*time.Millisecond || took > 4*time.Second {
		t.Fatalf("shutdown took %v with a 300ms grace period", took)
	}
	waitGone(t, started.Pid)
}

func TestSighupDoesNotStopTheAgent(t *testing.T) {
	a := startAgentProcess(t, testToken)
	a.waitReady(t)
	_ = a.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(100 * time.Millisecond)
	if code := a.call(t, "GET", "/v1/processes", nil, nil); code != 200 {
		t.Fatalf("status %d after SIGHUP", code)
	}
}

func leaveStaleSocket(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
}

func TestRefusesToReplaceANonSocket(t *testing.T) {
	dir := newAgentDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run", "agent.sock"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgentIn(t, dir, testToken)
	if code := a.waitExit(t, 10*time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "run", "agent.sock")); string(b) != "keep me" {
		t.Fatal("the agent replaced a regular file")
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			return
		}
	}
	t.Fatalf("pid %d still exists", pid)
}

func TestShutdownHangsUpPtys(t *testing.T) {
	// An interactive shell ignores SIGTERM; the hangup ends it well within
	// the grace period.
	a := startAgentProcess(t, testToken, "--shutdown-grace", "5s")
	a.waitReady(t)
	var created struct {
		PtyID string `json:"pty_id"`
		Pid   int    `json:"pid"`
	}
	if code := a.call(t, "POST", "/v1/ptys", map[string]any{"cols": 80, "rows": 24, "shell": "/bin/bash"}, &created); code != 201 {
		t.Fatalf("create status %d", code)
	}
	var list struct {
		Ptys []struct {
			PtyID string `json:"pty_id"`
			State string `json:"state"`
		} `json:"ptys"`
	}
	if a.call(t, "GET", "/v1/ptys", nil, &list); len(list.Ptys) != 1 || list.Ptys[0].PtyID != created.PtyID || list.Ptys[0].State != "running" {
		t.Fatalf("list %+v", list)
	}
	time.Sleep(200 * time.Millisecond) // let bash set itself up
	began := time.Now()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	if code := a.waitExit(t, 8*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Fatalf("shutdown took %v: the shell outlived the hangup", took)
	}
	waitGone(t, created.Pid)
}
