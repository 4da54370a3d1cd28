package process

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTimeoutKillsWholeGroup(t *testing.T) {
	m := newManager(t, 1<<20)
	spec := sh("sleep 100 & echo $!; wait")
	spec.TimeoutMs = 300
	p := start(t, m, spec, StartOptions{CollectLimit: 1024})
	began := time.Now()
	waitDone(t, p, 5*time.Second)
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("timeout took %v", took)
	}
	out, code, timedOut := p.Output()
	if code != 137 || !timedOut {
		t.Fatalf("code %d timed_out %v, want 137 true", code, timedOut)
	}
	child, err := strconv.Atoi(strings.TrimSpace(out.Stdout))
	if err != nil {
		t.Fatalf("child pid %q: %v", out.Stdout, err)
	}
	waitGone(t, child) // killed with the group, then reaped as an orphan
	evs := allEvents(t, p, 0)
	last := evs[len(evs)-1]
	if last.Type != EventExit || *last.Code != 137 || !*last.TimedOut {
		t.Fatalf("last event %+v", last)
	}
	if info := p.Info(); !info.TimedOut || info.State != StateExited || *info.ExitCode != 137 {
		t.Fatalf("info %+v", info)
	}
}

func TestNoTimeoutWhenFast(t *testing.T) {
	m := newManager(t, 1<<20)
	spec := sh("exit 0")
	spec.TimeoutMs = 5000
	p := start(t, m, spec, StartOptions{})
	waitDone(t, p, 5*time.Second)
	if _, code, timedOut := p.Output(); code != 0 || timedOut {
		t.Fatalf("code %d timed_out %v", code, timedOut)
	}
}

func TestSignalReachesGroup(t *testing.T) {
	m := newManager(t, 1<<20)
	p := start(t, m, sh("trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.01; done"), StartOptions{CollectLimit: 1024})
	waitForOutput(t, p, "ready")
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitDone(t, p, 5*time.Second)
	out, code, _ := p.Output()
	if code != 7 || !strings.Contains(out.Stdout, "got-term") {
		t.Fatalf("code %d stdout %q", code, out.Stdout)
	}
}

func TestStdinRoundTrip(t *testing.T) {
	m := newManager(t, 1<<20)
	p := start(t, m, Spec{Cmd: "cat", Stdin: true}, StartOptions{CollectLimit: 1 << 20})
	ctx := context.Background()
	if err := p.WriteStdin(ctx, strings.NewReader("hello "), false); err != nil {
		t.Fatal(err)
	}
	waitForOutput(t, p, "hello ")
	if err := p.WriteStdin(ctx, strings.NewReader("world\n"), true); err != nil {
		t.Fatal(err)
	}
	waitDone(t, p, 5*time.Second)
	out, code, _ := p.Output()
	if out.Stdout != "hello world\n" || code != 0 {
		t.Fatalf("stdout %q code %d", out.Stdout, code)
	}
	if err := p.WriteStdin(ctx, strings.NewReader("late"), false); !errors.Is(err, ErrStdinClosed) {
		t.Fatalf("write after eof: %v, want ErrStdinClosed", err)
	}
}

func TestStdinDataAndDefaultDevNull(t *testing.T) {
	m := newManager(t, 1<<20)
	data := "line1\nline2\n"
	p := start(t, m, Spec{Cmd: "cat"}, StartOptions{CollectLimit: 1024, StdinData: &data})
	waitDone(t, p, 5*time.Second)
	if out, _, _ := p.Output(); out.Stdout != data {
		t.Fatalf("stdout %q", out.Stdout)
	}
	// Without a stdin pipe, cat reads /dev/null and ends at once.
	stdout, _, code := run(t, m, Spec{Cmd: "cat"})
	if stdout != "" || code != 0 {
		t.Fatalf("cat </dev/null: %q %d", stdout, code)
	}
	p = start(t, m, Spec{Cmd: "true"}, StartOptions{})
	if err := p.WriteStdin(context.Background(), strings.NewReader("x"), false); !errors.Is(err, ErrStdinClosed) {
		t.Fatalf("stdin of a process without one: %v", err)
	}
}

func TestStdinWriteGivesUpWithContext(t *testing.T) {
	m := newManager(t, 1<<20)
	p := start(t, m, Spec{Cmd: "sleep", Args: []string{"30"}, Stdin: true}, StartOptions{})
	defer p.Signal(syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	big := strings.NewReader(strings.Repeat("x", 4<<20)) // far beyond a pipe buffer
	if err := p.WriteStdin(ctx, big, false); err == nil {
		t.Fatal("write to a process that never reads succeeded")
	}
	// A later writer is not affected by the cancelled one.
	if err := p.WriteStdin(context.Background(), strings.NewReader(""), false); err != nil {
		t.Fatalf("empty write after cancellation: %v", err)
	}
}
