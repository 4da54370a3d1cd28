package server

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/process"
	"github.com/workspace-manager/agent/internal/ptys"
)

func TestPtyEcho(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, pid := a.createPty(nil)
	c := a.attach(id, -1)
	if c.offset != 0 {
		t.Fatalf("first attach starts at offset %d", c.offset)
	}
	// The quotes keep the typed line (echoed by the terminal) from
	// matching the command's output.
	c.input("echo hel''lo-$((6*7))\n")
	c.readUntil("hello-42", 5*time.Second)
	if sid, _, ok := sessionOf(t, pid); !ok || sid != pid {
		t.Fatalf("shell %d: session %d, want its own", pid, sid)
	}
	// The shell has the PTY as its controlling terminal, and TERM.
	c.input("tty; echo \"T=$TERM\"\n")
	out := c.readUntil("T=xterm-256color", 5*time.Second)
	if !regexp.MustCompile(`/dev/pts/\d+`).MatchString(out) {
		t.Fatalf("tty output: %q", tail(out))
	}
	info := a.ptyInfo(id)
	if info.State != process.StateRunning || !info.Attached || info.Pid != pid || info.Cols != 80 || info.Rows != 24 || info.ExitCode != nil {
		t.Fatalf("info %+v", info)
	}
}

func TestPtyResize(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(map[string]any{"cols": 91, "rows": 33})
	c := a.attach(id, -1)
	c.input("stty size\n")
	c.readUntil("33 91", 5*time.Second)

	c.resize(100, 40)
	c.input("stty size\n")
	c.readUntil("40 100", 5*time.Second)

	a.call("POST", "/v1/ptys/"+id+"/resize", map[string]any{"cols": 120, "rows": 50}, http.StatusNoContent, nil)
	c.input("stty size\n")
	c.readUntil("50 120", 5*time.Second)
	if info := a.ptyInfo(id); info.Cols != 120 || info.Rows != 50 {
		t.Fatalf("info %+v", info)
	}
	for _, bad := range []map[string]any{{"cols": 0, "rows": 10}, {"cols": 10}, {"cols": 70000, "rows": 10}} {
		a.expectError("POST", "/v1/ptys/"+id+"/resize", bad, http.StatusBadRequest, codeValidation)
	}
}

func TestPtyExitCode(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(nil)
	c := a.attach(id, -1)
	c.input("exit 3\n")
	if code := c.waitExit(5 * time.Second); code != 3 {
		t.Fatalf("exit code %d", code)
	}
	info := a.ptyInfo(id)
	if info.State != process.StateExited || info.ExitCode == nil || *info.ExitCode != 3 || info.EndedAt == nil {
		t.Fatalf("info %+v", info)
	}
	// Kept for replay: a new attach gets the output and the exit again.
	again := a.attach(id, -1)
	if code := again.waitExit(5 * time.Second); code != 3 || again.out.String() != c.out.String() {
		t.Fatalf("replay: code %d, %q vs %q", code, tail(again.out.String()), tail(c.out.String()))
	}
}

func TestPtyKill(t *testing.T) {
	tests := []struct {
		name string
		kill func(a *agent, c *ptyClient, id string)
	}{
		{"kill frame", func(_ *agent, c *ptyClient, _ string) { c.send(frameKill, nil) }},
		{"kill endpoint", func(a *agent, _ *ptyClient, id string) {
			a.call("POST", "/v1/ptys/"+id+"/kill", nil, http.StatusNoContent, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startAgent(t, agentOpts{})
			id, _ := a.createPty(nil)
			c := a.attach(id, -1)
			bg := startBackgroundSleep(t, c)
			tt.kill(a, c, id)
			if code := c.waitExit(5 * time.Second); code != 128+9 {
				t.Fatalf("exit code %d, want 137", code)
			}
			waitDead(t, bg, 5*time.Second)
		})
	}
}

func TestPtyNotFound(t *testing.T) {
	a := startAgent(t, agentOpts{})
	for _, id := range []string{"pty_0000000000000000", "nope"} {
		a.expectAttachNotFound(id)
		a.expectError("POST", "/v1/ptys/"+id+"/resize", map[string]any{"cols": 10, "rows": 10}, http.StatusNotFound, codePtyNotFound)
		a.expectError("POST", "/v1/ptys/"+id+"/kill", nil, http.StatusNotFound, codePtyNotFound)
	}
}

func TestPtyCreateValidation(t *testing.T) {
	a := startAgent(t, agentOpts{})
	tests := []struct {
		name string
		body map[string]any
	}{
		{"no size", map[string]any{}},
		{"zero cols", map[string]any{"cols": 0, "rows": 24}},
		{"negative grace", map[string]any{"cols": 80, "rows": 24, "grace_ms": -1}},
		{"unknown field", map[string]any{"cols": 80, "rows": 24, "colour": true}},
		{"missing shell", map[string]any{"cols": 80, "rows": 24, "shell": "/no/such/shell"}},
		{"missing cwd", map[string]any{"cols": 80, "rows": 24, "cwd": "/no/such/dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.expectError("POST", "/v1/ptys", tt.body, http.StatusBadRequest, codeValidation)
		})
	}
	var list struct{ Ptys []any }
	a.call("GET", "/v1/ptys", nil, http.StatusOK, &list)
	if len(list.Ptys) != 0 {
		t.Fatalf("list %+v", list)
	}
}

func TestPtyAttachNeedsUpgrade(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(nil)
	resp, conn, _ := a.dialAttach("/v1/ptys/"+id+"/attach", nil)
	defer conn.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
	a.expectError("GET", "/v1/ptys/"+id+"/attach?after=-1", nil, http.StatusBadRequest, codeValidation)
}

func (a *agent) expectAttachNotFound(id string) {
	a.t.Helper()
	resp, conn, _ := a.dialAttach("/v1/ptys/"+id+"/attach", upgradeHeader)
	defer conn.Close()
	var eb errorBody
	if err := jsonDecode(resp, &eb); err != nil || resp.StatusCode != http.StatusNotFound || eb.Error.Code != codePtyNotFound {
		a.t.Fatalf("attach %s: status %d, %+v (%v)", id, resp.StatusCode, eb, err)
	}
}

func (a *agent) waitPtyExited(id string) ptys.Info {
	a.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info := a.ptyInfo(id)
		if info.State == process.StateExited {
			return info
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("pty %s still running", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPtySessionOutlivesTheHeaderTimeout(t *testing.T) {
	// The agent's HTTP server bounds how long a request head may take; an
	// upgraded connection must not inherit that deadline.
	a := startAgent(t, agentOpts{headerTimeout: 200 * time.Millisecond})
	id, _ := a.createPty(nil)
	c := a.attach(id, -1)
	time.Sleep(600 * time.Millisecond)
	c.input("echo sti''ll-here\n")
	c.readUntil("still-here", 5*time.Second)
}

func TestPtyShellAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		body  map[string]any
		input string
		want  string
	}{
		{"default shell is bash without SHELL", map[string]any{"shell": "", "env": map[string]string{}},
			"echo \"S=$0\"\n", "S=/bin/bash"},
		{"SHELL picks the shell", map[string]any{"shell": "", "env": map[string]string{"SHELL": "/bin/sh"}},
			"echo \"S=$0\"\n", "S=/bin/sh"},
		{"args", map[string]any{"args": []string{"-c", "echo args-ok; sleep 5"}}, "", "args-ok"},
		{"cwd and env", map[string]any{"cwd": dir, "env": map[string]string{"PS1": "$ ", "GREETING": "hi there"}},
			"echo \"$GREETING in $(pwd)\"\n", "hi there in " + dir},
		{"TERM can be set", map[string]any{"env": map[string]string{"TERM": "dumb", "PS1": "$ "}},
			"echo \"T=$TERM\"\n", "T=dumb"},
		{"uid: the user owns the terminal", map[string]any{"uid": 65534},
			"echo \"U=$(id -u):$(stat -c %u $(tty))\"\n", "U=65534:65534"},
	}
	a := startAgent(t, agentOpts{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := *a
			ta.t = t
			id, _ := ta.createPty(tt.body)
			c := ta.attach(id, -1)
			if tt.input != "" {
				c.input(tt.input)
			}
			c.readUntil(tt.want, 5*time.Second)
			ta.call("POST", "/v1/ptys/"+id+"/kill", nil, http.StatusNoContent, nil)
		})
	}
}

func TestPtyShellExitDoesNotWaitForBackgroundJobs(t *testing.T) {
	// A background job still holds the terminal when the shell exits: the
	// exit is reported at once, the terminal is hung up, and the job (like
	// one left behind in a closed terminal window) is not killed.
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(nil)
	c := a.attach(id, -1)
	bg := startBackgroundSleep(t, c)
	began := time.Now()
	c.input("exit 5\n")
	if code := c.waitExit(5 * time.Second); code != 5 {
		t.Fatalf("exit code %d", code)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("exit reported after %v", took)
	}
	if !alive(t, bg) {
		t.Fatal("the background job was killed with the shell")
	}
	// The kill endpoint still reaches what is left of the session.
	a.call("POST", "/v1/ptys/"+id+"/kill", nil, http.StatusNoContent, nil)
	waitDead(t, bg, 5*time.Second)
}

func TestPtyKillFrameWhileInputIsBlocked(t *testing.T) {
	// The foreground program reads nothing, so the terminal's input queue
	// fills up; the kill frame sent after a large paste still works.
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(nil)
	c := a.attach(id, -1)
	c.input("stty -echo; sleep 1000\n")
	time.Sleep(200 * time.Millisecond)
	paste := strings.Repeat("pasted text that nobody reads\n", 300_000/30)
	c.input(paste)
	c.send(frameKill, nil)
	if code := c.waitExit(5 * time.Second); code != 137 {
		t.Fatalf("exit code %d", code)
	}
	if info := a.ptyInfo(id); info.State != process.StateExited {
		t.Fatalf("info %+v", info)
	}
}

// A resize sent right after a command applies only once the terminal has
// consumed that command and gone idle: the command still sees the size
// before the resize, the next command the new one.
func TestPtyResizeIsOrderedAfterEarlierInput(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(map[string]any{"cols": 120, "rows": 40, "shell": "/bin/bash"})
	c := a.attach(id, -1)
	rows, cols := 40, 120
	for i := 0; i < 5; i++ {
		c.input(fmt.Sprintf("sleep 0.05; echo round%d $(stty size)\n", i))
		c.resize(100+i, 50+i)
		c.readUntil(fmt.Sprintf("round%d %d %d", i, rows, cols), 10*time.Second)
		rows, cols = 50+i, 100+i
	}
}
