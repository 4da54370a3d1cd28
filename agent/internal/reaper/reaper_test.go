package reaper

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var orphans = make(chan int, 64)

func TestMain(m *testing.M) {
	r := New(Options{OnOrphan: func(pid int, _ syscall.WaitStatus) { orphans <- pid }})
	if err := r.Start(); err != nil {
		panic(err)
	}
	testReaper = r
	code := m.Run()
	r.Stop()
	os.Exit(code)
}

var testReaper *Reaper

func spawn(t *testing.T, stdout uintptr, argv ...string) (int, <-chan syscall.WaitStatus) {
	t.Helper()
	attr := &syscall.ProcAttr{Files: []uintptr{0, stdout, 2}}
	pid, exited, err := testReaper.Spawn(func() (int, error) {
		return syscall.ForkExec(argv[0], argv, attr)
	})
	if err != nil {
		t.Fatalf("spawn %v: %v", argv, err)
	}
	return pid, exited
}

func waitStatus(t *testing.T, exited <-chan syscall.WaitStatus) syscall.WaitStatus {
	t.Helper()
	select {
	case ws := <-exited:
		return ws
	case <-time.After(5 * time.Second):
		t.Fatal("no exit status within 5s")
		return 0
	}
}

func TestSpawnDeliversExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		script string
		code   int
		signal syscall.Signal
	}{
		{"exit zero", "exit 0", 0, 0},
		{"exit three", "exit 3", 3, 0},
		{"killed", "kill -KILL $$", 0, syscall.SIGKILL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, exited := spawn(t, 1, "/bin/sh", "-c", tt.script)
			ws := waitStatus(t, exited)
			if tt.signal != 0 {
				if !ws.Signaled() || ws.Signal() != tt.signal {
					t.Fatalf("status %v, want signal %v", ws, tt.signal)
				}
				return
			}
			if !ws.Exited() || ws.ExitStatus() != tt.code {
				t.Fatalf("status %v, want exit %d", ws, tt.code)
			}
		})
	}
}

func TestManyImmediateExits(t *testing.T) {
	const n = 50
	chans := make([]<-chan syscall.WaitStatus, n)
	for i := range chans {
		_, chans[i] = spawn(t, 1, "/bin/true")
	}
	for _, c := range chans {
		if ws := waitStatus(t, c); ws.ExitStatus() != 0 {
			t.Fatalf("status %v", ws)
		}
	}
}

func TestOrphanIsReaped(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The shell prints its background child's pid and exits at once, so the
	// sleep is re-parented to this (subreaper) test process.
	_, exited := spawn(t, w.Fd(), "/bin/sh", "-c", "sleep 0.2 >/dev/null & echo $!")
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("read orphan pid: %v", err)
	}
	orphan, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, exited)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case pid := <-orphans:
			if pid != orphan {
				continue
			}
			if _, err := os.Stat("/proc/" + strconv.Itoa(orphan)); !os.IsNotExist(err) {
				t.Fatalf("orphan %d still in /proc after reaping: %v", orphan, err)
			}
			return
		case <-deadline:
			t.Fatalf("orphan %d was not reaped", orphan)
		}
	}
}
