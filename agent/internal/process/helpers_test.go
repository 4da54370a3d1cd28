package process

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/reaper"
)

// One reaper per test binary: it owns wait4(-1) for the whole process.
var (
	testReaper *reaper.Reaper
	orphans    = make(chan int, 256)
)

func TestMain(m *testing.M) {
	testReaper = reaper.New(reaper.Options{OnOrphan: func(pid int, _ syscall.WaitStatus) {
		select {
		case orphans <- pid:
		default:
		}
	}})
	if err := testReaper.Start(); err != nil {
		panic(err)
	}
	code := m.Run()
	testReaper.Stop()
	os.Exit(code)
}

func newManager(t *testing.T, ringBytes int) *Manager {
	t.Helper()
	m, err := NewManager(Config{
		Reaper:    testReaper,
		Workdir:   t.TempDir(),
		Env:       []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "BASE=1"},
		RingBytes: ringBytes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func start(t *testing.T, m *Manager, spec Spec, opts StartOptions) *Process {
	t.Helper()
	p, err := m.Start(spec, opts)
	if err != nil {
		t.Fatalf("start %s %v: %v", spec.Cmd, spec.Args, err)
	}
	return p
}

func sh(script string) Spec { return Spec{Cmd: "sh", Args: []string{"-c", script}} }

func waitDone(t *testing.T, p *Process, within time.Duration) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(within):
		t.Fatalf("process %d (%s %v) still running after %v", p.pid, p.cmd, p.args, within)
	}
}

// run starts spec, waits for it and returns stdout, stderr and exit code.
func run(t *testing.T, m *Manager, spec Spec) (string, string, int) {
	t.Helper()
	p := start(t, m, spec, StartOptions{CollectLimit: 1 << 20})
	waitDone(t, p, 10*time.Second)
	out, code, _ := p.Output()
	return out.Stdout, out.Stderr, code
}

// allEvents replays and follows p until its exit event.
func allEvents(t *testing.T, p *Process, after int64) []Event {
	t.Helper()
	var out []Event
	c := p.CursorAfter(after)
	deadline := time.After(10 * time.Second)
	for {
		evs, next, more, ended := p.Events(c, 100)
		out = append(out, evs...)
		c = next
		if ended {
			return out
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("no exit event within 10s; got %+v", out)
		}
	}
}

func text(evs []Event, typ string) string {
	var sb strings.Builder
	for _, e := range evs {
		if e.Type == typ {
			sb.WriteString(e.Data)
		}
	}
	return sb.String()
}

// gone reports whether pid no longer exists (reaped, not a zombie).
func gone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if gone(pid) {
			return
		}
	}
	status, _ := os.ReadFile("/proc/" + itoa(pid) + "/status")
	t.Fatalf("pid %d still exists: %s", pid, firstLines(string(status), 3))
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "; ")
}

func itoa(i int) string { return strconv.Itoa(i) }

func writeFile(path, content string, mode os.FileMode) error {
	return os.WriteFile(path, []byte(content), mode)
}

func writeScript(path, content string) error { return writeFile(path, content, 0o755) }
