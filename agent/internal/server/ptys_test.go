package server

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

// startBackgroundSleep starts `sleep 1000 &` in the PTY's shell and
// returns its pid, checking that job control put it in a process group of
// its own (so killing the shell's group alone would miss it).
func startBackgroundSleep(t *testing.T, c *ptyClient) int {
	t.Helper()
	c.input("sleep 1000 & echo \"B\"G=$!.\n")
	m := regexp.MustCompile(`BG=(\d+)\.`).FindStringSubmatch(c.readUntil("BG=", 5*time.Second) + c.readUntil(".", time.Second))
	if m == nil {
		t.Fatalf("no pid in %q", tail(c.out.String()))
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() {
		if alive(t, pid) {
			_ = killPid(pid)
		}
	})
	deadline := time.Now().Add(2 * time.Second)
	for {
		sid, pgid, ok := sessionOf(t, pid)
		if !ok {
			t.Fatalf("background sleep %d is not running", pid)
		}
		if pgid == pid { // after the shell's setpgid, before or after exec
			if sid == pid || sid == 0 {
				t.Fatalf("background sleep %d: session %d", pid, sid)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("background sleep %d: process group %d, want its own", pid, pgid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPtyReattachReplaysExactlyWhatWasMissed(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(nil)
	c := a.attach(id, -1)
	c.input("echo fir''st\n")
	c.readUntil("first", 5*time.Second)
	// Output produced while nobody is attached is kept.
	c.input("sleep 0.3; echo miss''ed-1; echo miss''ed-2\n")
	c.readUntil("\n", time.Second) // the echo of the typed line, at least
	seen := c.offset + int64(c.out.Len())
	c.conn.Close()
	time.Sleep(600 * time.Millisecond)

	full := a.attach(id, 0)
	full.readUntil("missed-2", 5*time.Second)
	full.conn.Close()

	re := a.attach(id, seen)
	if re.offset != seen {
		t.Fatalf("replay starts at %d, want %d", re.offset, seen)
	}
	wantMissed := full.out.String()[seen:]
	re.readUntil("missed-2", 5*time.Second)
	if got := re.out.String(); got != wantMissed {
		t.Fatalf("replayed %q, want %q", got, wantMissed)
	}
	// An offset past the end starts at the end; one before the kept range
	// at its start (here 0, nothing has been evicted).
	if late := a.attach(id, 1<<40); late.offset != int64(len(full.out.String())) {
		t.Fatalf("after=2^40 starts at %d", late.offset)
	}
}

func TestPtyTakeover(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(nil)
	first := a.attach(id, -1)
	first.input("echo o''ne\n")
	first.readUntil("one", 5*time.Second)

	second := a.attach(id, -1)
	first.expectClosed(5 * time.Second)
	second.input("echo t''wo\n")
	out := second.readUntil("two", 5*time.Second)
	if !strings.Contains(out, "one") {
		t.Fatalf("the takeover did not replay the earlier output: %q", out)
	}
	if info := a.ptyInfo(id); !info.Attached || info.State != process.StateRunning {
		t.Fatalf("info %+v", info)
	}
}

func TestPtyGraceKillsTheWholeSession(t *testing.T) {
	const grace = 400 * time.Millisecond
	a := startAgent(t, agentOpts{})
	id, shell := a.createPty(map[string]any{"grace_ms": grace.Milliseconds()})
	c := a.attach(id, -1)
	bg := startBackgroundSleep(t, c)
	// Attached, it outlives the grace period.
	time.Sleep(2 * grace)
	if !alive(t, shell) {
		t.Fatal("the shell was killed while a client was attached")
	}
	c.conn.Close()
	time.Sleep(grace / 2)
	if !alive(t, shell) || !alive(t, bg) {
		t.Fatal("killed before the grace period ran out")
	}
	waitDead(t, shell, 5*time.Second)
	waitDead(t, bg, 5*time.Second)
	info := a.waitPtyExited(id)
	if *info.ExitCode != 137 {
		t.Fatalf("info %+v", info)
	}
	// An exited PTY is kept for replay for the grace period, then forgotten.
	time.Sleep(grace + 200*time.Millisecond)
	a.expectAttachNotFound(id)
}

func TestPtyWithoutAnyClientIsKilledAfterGrace(t *testing.T) {
	a := startAgent(t, agentOpts{})
	id, shell := a.createPty(map[string]any{"grace_ms": 200})
	waitDead(t, shell, 5*time.Second)
	if info := a.waitPtyExited(id); *info.ExitCode != 137 {
		t.Fatalf("info %+v", info)
	}
}

func TestPtyClientDroppedStaysAliveUntilGrace(t *testing.T) {
	const grace = 500 * time.Millisecond
	a := startAgent(t, agentOpts{})
	id, shell := a.createPty(map[string]any{"grace_ms": grace.Milliseconds()})
	c := a.attach(id, -1)
	// Output keeps coming, and the client drops the connection with it
	// unread and without any goodbye.
	c.input("while :; do echo tick; sleep 0.05; done\n")
	c.readUntil("tick", 5*time.Second)
	dropped := time.Now()
	c.conn.Close()

	time.Sleep(grace / 2)
	if !alive(t, shell) {
		t.Fatal("killed right after the client dropped")
	}
	if info := a.ptyInfo(id); info.Attached || info.State != process.StateRunning {
		t.Fatalf("info %+v", info)
	}
	waitDead(t, shell, 5*time.Second)
	if since := time.Since(dropped); since < grace {
		t.Fatalf("killed %v after the drop, before the grace period", since)
	}
	// What it printed meanwhile is still there to replay.
	if info := a.waitPtyExited(id); *info.ExitCode != 137 {
		t.Fatalf("info %+v", info)
	}
	replay := a.attach(id, -1)
	replay.waitExit(5 * time.Second)
	if n := strings.Count(replay.out.String(), "tick"); n < 3 {
		t.Fatalf("replay has %d ticks", n)
	}
}

func TestPtyConcurrent(t *testing.T) {
	a := startAgent(t, agentOpts{})
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan string, 10*n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine reports instead of failing the test directly.
			sub := &reportingTB{TB: t, errs: errs, prefix: fmt.Sprintf("pty %d: ", i)}
			defer sub.recoverFatal()
			sa := *a
			sa.t = sub
			id, _ := sa.createPty(nil)
			c := sa.attach(id, -1)
			c.t = sub
			c.input(fmt.Sprintf("echo id-$((%d*1000)); exit %d\n", i, i))
			if code := c.waitExit(10 * time.Second); code != i {
				sub.Errorf("exit code %d", code)
			}
			if want := fmt.Sprintf("id-%d", i*1000); !strings.Contains(c.out.String(), want+"\r\n") {
				sub.Errorf("output %q lacks %s", tail(c.out.String()), want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestPtyBackPressure(t *testing.T) {
	// 2.9 MB through the 256 KiB ring to a client that reads slowly: all of
	// it arrives, in order, because reading the terminal waits for the
	// client.
	a := startAgent(t, agentOpts{})
	id, _ := a.createPty(nil)
	c := a.attach(id, -1)
	c.input("stty -echo -onlcr; echo BEGIN; seq 1 400000; echo END; exit 0\n")
	// About 4 MB/s: slower than the shell writes.
	slow := slowReader{c.r, 4096, time.Millisecond}
	_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var got []byte
	for exited := false; !exited; {
		typ, payload, err := readFrame(slow, nil)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		switch typ {
		case frameData:
			got = append(got, payload...)
		case frameExit:
			exited = true
		}
	}
	want := "BEGIN\n" + seqLines(400000) + "END\n"
	if !strings.Contains(string(got), want) {
		t.Fatalf("received %d bytes, not the %d expected in order", len(got), len(want))
	}
}

func seqLines(n int) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		sb.WriteString(strconv.Itoa(i))
		sb.WriteByte('\n')
	}
	return sb.String()
}

func TestPtyStalledClientIsDetached(t *testing.T) {
	const timeout = 300 * time.Millisecond
	a := startAgent(t, agentOpts{followerTimeout: timeout})
	id, shell := a.createPty(map[string]any{"grace_ms": 60000})
	c := a.attach(id, -1)
	c.input("stty -echo; head -c 20000000 /dev/zero | tr '\\0' x; echo done-$((1+1))\n")
	// The client reads nothing more: it is detached, the shell goes on.
	deadline := time.Now().Add(10 * time.Second)
	for a.ptyInfo(id).Attached {
		if time.Now().After(deadline) {
			t.Fatal("stalled client still attached")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !alive(t, shell) {
		t.Fatal("the shell died")
	}
	c.expectClosed(10 * time.Second)
	again := a.attach(id, 1<<40)
	again.input("echo after-$((2+2))\n")
	again.readUntil("after-4", 20*time.Second)
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

func TestPtySlowClientGetsTheTailAfterExit(t *testing.T) {
	// The shell's last output (up to the terminal's ~15 KB of buffers) is
	// still unread when it exits while the ring waits for a slow client:
	// it is delivered before the exit frame, however long the client takes.
	a := startAgent(t, agentOpts{ptyRingBytes: 32 << 10})
	id, _ := a.createPty(nil)
	c := a.attach(id, -1)
	c.input("stty -echo -onlcr; seq 1 10000; echo END; exit 0\n")
	slow := slowReader{c.r, 4096, 50 * time.Millisecond} // about 80 KB/s
	_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var got []byte
	for exited := false; !exited; {
		typ, payload, err := readFrame(slow, nil)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		switch typ {
		case frameData:
			got = append(got, payload...)
		case frameExit:
			exited = true
		}
	}
	if want := seqLines(10000) + "END\n"; !strings.HasSuffix(string(got), want) {
		t.Fatalf("received %d bytes ending %q", len(got), tail(string(got)))
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
