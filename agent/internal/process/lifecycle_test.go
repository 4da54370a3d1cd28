package process

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/drain"
)

func TestOrphanedGrandchildIsReaped(t *testing.T) {
	m := newManager(t, 1<<20)
	stdout, _, _ := run(t, m, sh("sleep 0.3 >/dev/null 2>&1 & echo $!"))
	orphan, err := strconv.Atoi(strings.TrimSpace(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if gone(orphan) {
		t.Fatalf("orphan %d already gone; the test proves nothing", orphan)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case pid := <-orphans:
			if pid == orphan {
				waitGone(t, orphan)
				return
			}
		case <-deadline:
			t.Fatalf("orphan %d not reaped", orphan)
		}
	}
}

func TestBackgroundedGrandchildDoesNotDelayExit(t *testing.T) {
	m := newManager(t, 1<<20)
	began := time.Now()
	p := start(t, m, sh("sleep 100 & echo $!; echo hi"), StartOptions{CollectLimit: 1024})
	waitDone(t, p, 3*time.Second)
	took := time.Since(began)
	out, code, _ := p.Output()
	lines := strings.Fields(out.Stdout)
	if len(lines) != 2 || lines[1] != "hi" || code != 0 {
		t.Fatalf("stdout %q code %d", out.Stdout, code)
	}
	sleeper, _ := strconv.Atoi(lines[0])
	defer func() { _ = syscall.Kill(sleeper, syscall.SIGKILL) }()
	if took > time.Second {
		t.Fatalf("exit reported after %v, want about %v", took, drain.Window)
	}
	if gone(sleeper) {
		t.Fatal("the background sleep should still be running")
	}
}

func TestManyConcurrentProcesses(t *testing.T) {
	m := newManager(t, 1<<20)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := "n" + itoa(i) + "\n"
			p, err := m.Start(Spec{Cmd: "echo", Args: []string{"n" + itoa(i)}}, StartOptions{CollectLimit: 1024})
			if err != nil {
				errs <- err.Error()
				return
			}
			select {
			case <-p.Done():
			case <-time.After(10 * time.Second):
				errs <- "timed out"
				return
			}
			if out, code, _ := p.Output(); out.Stdout != want || code != 0 {
				errs <- "process " + itoa(i) + ": " + out.Stdout
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := len(m.List()); got != n {
		t.Fatalf("listed %d processes, want %d", got, n)
	}
}

func TestListKeepsLastEnded(t *testing.T) {
	m, err := NewManager(Config{Reaper: testReaper, Workdir: t.TempDir(), RingBytes: 1024, KeepEnded: 3,
		Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for i := 0; i < 5; i++ {
		p := start(t, m, Spec{Cmd: "true", Tag: "t" + itoa(i)}, StartOptions{})
		waitDone(t, p, 5*time.Second)
		pids = append(pids, p.Pid())
	}
	infos := m.List()
	if len(infos) != 3 {
		t.Fatalf("listed %d, want 3", len(infos))
	}
	for i, info := range infos {
		if info.Pid != pids[i+2] || info.State != StateExited || info.Tag != "t"+itoa(i+2) || info.EndedAt == nil {
			t.Fatalf("info %d: %+v", i, info)
		}
	}
	if _, ok := m.Get(pids[0]); ok {
		t.Fatal("oldest ended process still known")
	}
}

func TestClosedManagerRefusesStart(t *testing.T) {
	m := newManager(t, 1024)
	m.Close()
	if _, err := m.Start(Spec{Cmd: "true"}, StartOptions{}); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("start after close: %v", err)
	}
}
