package main

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// waitFile waits for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear", path)
}

func TestDetachLetsGoOfTheSocketAndResumeTakesItAgain(t *testing.T) {
	a := startAgentProcess(t, testToken)
	a.waitReady(t)
	run := filepath.Dir(a.sock)

	var started struct{ Pid int }
	if code := a.call(t, "POST", "/v1/processes", map[string]any{"cmd": "sleep", "args": []string{"300"}}, &started); code != 201 && code != 200 {
		t.Fatalf("start status %d", code)
	}
	// A connection that stays open: detach must close it too.
	idle, err := net.Dial("unix", a.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	var reply struct{ Detached bool }
	if code := a.call(t, "POST", "/v1/detach", nil, &reply); code != 200 || !reply.Detached {
		t.Fatalf("detach: status %d, reply %+v", code, reply)
	}
	waitFile(t, filepath.Join(run, "detached"))
	if _, err := os.Stat(filepath.Join(run, "ready")); !os.IsNotExist(err) {
		t.Fatalf("ready file still there after detach: %v", err)
	}
	if c, err := net.Dial("unix", a.sock); err == nil {
		c.Close()
		t.Fatal("the socket still accepts connections after detach")
	}
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("the open connection was not closed by detach: read %d, %v", n, err)
	}

	// Nothing happens until the resume file appears.
	time.Sleep(3 * resumePollInterval)
	if _, err := os.Stat(filepath.Join(run, "ready")); !os.IsNotExist(err) {
		t.Fatal("the agent took the socket again without the resume file")
	}
	if err := os.WriteFile(filepath.Join(run, "resume"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a.waitReady(t)
	if _, err := os.Stat(filepath.Join(run, "resume")); !os.IsNotExist(err) {
		t.Fatalf("resume file left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(run, "detached")); !os.IsNotExist(err) {
		t.Fatalf("detached file left behind: %v", err)
	}
	var procs struct {
		Processes []struct {
			Pid   int
			State string
		}
	}
	if code := a.call(t, "GET", "/v1/processes", nil, &procs); code != 200 {
		t.Fatalf("list status %d", code)
	}
	found := false
	for _, p := range procs.Processes {
		found = found || (p.Pid == started.Pid && p.State == "running")
	}
	if !found {
		t.Fatalf("process %d not running after resume: %+v", started.Pid, procs)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestTrackedConnectionsKeepHalfClose(t *testing.T) {
	dir := newAgentDir(t)
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	e := newSocketEndpoint(filepath.Join(dir, "agent.sock"), nil, "dev", nil, nil)
	tracking := &trackingListener{Listener: ln, endpoint: e}
	client, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := tracking.Accept()
	if err != nil {
		t.Fatal(err)
	}
	cw, ok := server.(interface{ CloseWrite() error })
	if !ok {
		t.Fatal("an accepted connection cannot be half-closed")
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	// The client sees the end of the stream, and can still write.
	if n, err := client.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read after half-close: %d, %v", n, err)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatalf("write after the peer's half-close: %v", err)
	}
	buf := make([]byte, 1)
	if _, err := server.Read(buf); err != nil || buf[0] != 'x' {
		t.Fatalf("the other direction: %q, %v", buf, err)
	}
	if len(e.conns) != 1 {
		t.Fatalf("tracked %d connections, want 1", len(e.conns))
	}
	server.Close()
	if len(e.conns) != 0 {
		t.Fatal("a closed connection stays tracked")
	}
}
