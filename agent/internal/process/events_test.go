package process

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestReplayAfterExit(t *testing.T) {
	m := newManager(t, 1<<20)
	p := start(t, m, sh("echo one; echo two >&2; exit 3"), StartOptions{})
	waitDone(t, p, 5*time.Second)
	evs := allEvents(t, p, 0)
	if evs[0].Type != EventStart || evs[0].Pid != p.Pid() || evs[0].Seq != 1 {
		t.Fatalf("first event %+v", evs[0])
	}
	last := evs[len(evs)-1]
	if last.Type != EventExit || *last.Code != 3 || *last.TimedOut {
		t.Fatalf("last event %+v", last)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	if text(evs, EventStdout) != "one\n" || text(evs, EventStderr) != "two\n" {
		t.Fatalf("events %+v", evs)
	}
	// Replaying after a seq skips what was seen.
	tail := allEvents(t, p, last.Seq-1)
	if len(tail) != 1 || tail[0].Type != EventExit {
		t.Fatalf("after %d: %+v", last.Seq-1, tail)
	}
	if rest := allEvents(t, p, last.Seq); len(rest) != 0 {
		t.Fatalf("after the exit: %+v", rest)
	}
}

func TestFollowWhileRunning(t *testing.T) {
	m := newManager(t, 1<<20)
	p := start(t, m, Spec{Cmd: "cat", Stdin: true}, StartOptions{})
	const followers = 5
	results := make(chan []Event, followers)
	for i := 0; i < followers; i++ {
		go func() { results <- allEvents(t, p, 0) }()
	}
	for i := 0; i < 3; i++ {
		if err := p.WriteStdin(context.Background(), strings.NewReader("chunk"+itoa(i)+"\n"), false); err != nil {
			t.Fatal(err)
		}
		waitForOutput(t, p, "chunk"+itoa(i))
	}
	if err := p.WriteStdin(context.Background(), strings.NewReader(""), true); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < followers; i++ {
		evs := <-results
		if got := text(evs, EventStdout); got != "chunk0\nchunk1\nchunk2\n" {
			t.Fatalf("follower saw %q", got)
		}
		if evs[len(evs)-1].Type != EventExit {
			t.Fatalf("follower did not end with exit: %+v", evs)
		}
	}
}

func TestRingOverflowReportsDropped(t *testing.T) {
	m := newManager(t, 4096)
	// 64 KiB of output through a 4 KiB ring.
	p := start(t, m, sh("head -c 65536 /dev/zero | tr '\\0' a"), StartOptions{})
	waitDone(t, p, 5*time.Second)
	evs := allEvents(t, p, 0)
	if evs[0].Type != EventStart || evs[len(evs)-1].Type != EventExit {
		t.Fatalf("start/exit not kept: first %q last %q", evs[0].Type, evs[len(evs)-1].Type)
	}
	kept := int64(len(text(evs, EventStdout)))
	if evs[1].Dropped == 0 || evs[1].Dropped+kept != 65536 {
		t.Fatalf("dropped %d + kept %d, want 65536 with dropped > 0", evs[1].Dropped, kept)
	}
}

func TestUTF8SplitAcrossReads(t *testing.T) {
	m := newManager(t, 1<<20)
	// "€" is e2 82 ac; the sleep makes the two halves separate reads.
	p := start(t, m, sh(`printf 'a\342'; sleep 0.1; printf '\202\254b\377'`), StartOptions{CollectLimit: 1024})
	waitDone(t, p, 5*time.Second)
	evs := allEvents(t, p, 0)
	var chunks []string
	for _, e := range evs {
		if e.Type == EventStdout {
			chunks = append(chunks, e.Data)
		}
	}
	if len(chunks) < 2 {
		t.Fatalf("expected at least two output events, got %q", chunks)
	}
	if got := strings.Join(chunks, ""); got != "a€b\uFFFD" {
		t.Fatalf("text %q (chunks %q), want %q", got, chunks, "a€b\uFFFD")
	}
	if out, _, _ := p.Output(); out.Stdout != "a€b\uFFFD" {
		t.Fatalf("collected %q", out.Stdout)
	}
}

func TestCollectLimitTruncates(t *testing.T) {
	m := newManager(t, 1<<20)
	p := start(t, m, sh("head -c 10000 /dev/zero | tr '\\0' a; echo err >&2"), StartOptions{CollectLimit: 100})
	waitDone(t, p, 5*time.Second)
	out, _, _ := p.Output()
	if len(out.Stdout) != 100 || !out.Truncated || out.Stderr != "err\n" {
		t.Fatalf("stdout %d bytes, truncated %v, stderr %q", len(out.Stdout), out.Truncated, out.Stderr)
	}
}

func waitForOutput(t *testing.T, p *Process, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		evs, _, _, _ := p.Events(Cursor{}, 1<<20)
		if strings.Contains(text(evs, EventStdout), want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("output %q did not appear", want)
}
