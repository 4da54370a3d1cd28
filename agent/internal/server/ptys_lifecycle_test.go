package server

// Tests of a PTY's life beyond one client: re-attach with replay, takeover,
// the grace period, concurrency, back-pressure and stalled clients.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/process"
)

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
	c.input("sleep 1; echo miss''ed-1; echo miss''ed-2\n")
	// The shell's echo of the typed line (quotes and all): the line was taken before the
	// detach. Waiting for "\n" returned at once, the first prompt's line being there already.
	c.readUntil("miss''ed-2", 5*time.Second)
	seen := c.offset + int64(c.out.Len())
	c.conn.Close()
	time.Sleep(1300 * time.Millisecond)

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
