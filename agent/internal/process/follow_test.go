package process

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/drain"
)

func newManagerWith(t *testing.T, ringBytes int, followerTimeout time.Duration) *Manager {
	t.Helper()
	m, err := NewManager(Config{
		Reaper:          testReaper,
		Workdir:         t.TempDir(),
		Env:             []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		RingBytes:       ringBytes,
		FollowerTimeout: followerTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// follow takes every event through f until the exit event, sleeping pause
// after each take; it fails the test on ErrStalled.
func follow(t *testing.T, f *Follower, pause time.Duration) []Event {
	t.Helper()
	var out []Event
	deadline := time.After(30 * time.Second)
	for {
		evs, more, ended, err := f.Next(16)
		if err != nil {
			t.Errorf("follower: %v", err)
			return out
		}
		out = append(out, evs...)
		if ended {
			return out
		}
		time.Sleep(pause)
		select {
		case <-more:
		case <-deadline:
			t.Errorf("no exit event within 30s; got %d events", len(out))
			return out
		}
	}
}

func seqOutput(n int) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		sb.WriteString(itoa(i))
		sb.WriteByte('\n')
	}
	return sb.String()
}

func TestSlowFollowerSlowsTheWriterAndLosesNothing(t *testing.T) {
	tests := []struct {
		name      string
		followers int
	}{
		{"one follower", 1},
		{"three followers", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManagerWith(t, 4096, 10*time.Second)
			// About 590 KB through a 4 KiB ring; the process has exited
			// long before the follower is done, with output still in the pipe.
			p := start(t, m, Spec{Cmd: "sh", Args: []string{"-c", "sleep 0.1; seq 1 100000"}}, StartOptions{})
			results := make(chan []Event, tt.followers)
			for i := 0; i < tt.followers; i++ {
				f := p.Follow(0)
				defer f.Close()
				pause := time.Duration(i+1) * 100 * time.Microsecond
				go func() { results <- follow(t, f, pause) }()
			}
			// Meanwhile the ring stays within its budget (plus the one
			// newest event, which is always kept).
			stop := make(chan struct{})
			peak := make(chan int)
			go func() {
				most := 0
				for {
					p.mu.Lock()
					most = max(most, p.ring.bytes)
					p.mu.Unlock()
					select {
					case <-stop:
						peak <- most
						return
					case <-time.After(100 * time.Microsecond):
					}
				}
			}()
			want := seqOutput(100000)
			for i := 0; i < tt.followers; i++ {
				evs := <-results
				for _, e := range evs {
					if e.Dropped != 0 {
						t.Fatalf("event %d reports %d bytes dropped", e.Seq, e.Dropped)
					}
				}
				if got := text(evs, EventStdout); got != want {
					t.Fatalf("follower got %d bytes, want %d", len(got), len(want))
				}
				if last := evs[len(evs)-1]; last.Type != EventExit || *last.Code != 0 {
					t.Fatalf("last event %+v", last)
				}
			}
			close(stop)
			if most := <-peak; most > 4096+drain.ReadChunk {
				t.Fatalf("the ring held %d bytes", most)
			}
		})
	}
}

func TestStalledFollowerIsDetachedAndTheProcessGoesOn(t *testing.T) {
	const timeout = 300 * time.Millisecond
	m := newManagerWith(t, 4096, timeout)
	began := time.Now()
	p := start(t, m, sh("head -c 200000 /dev/zero | tr '\\0' x"), StartOptions{})
	stalled := p.Follow(0) // never takes anything
	defer stalled.Close()
	live := p.Follow(0)
	defer live.Close()
	evs := follow(t, live, 0)
	took := time.Since(began)

	select {
	case <-stalled.Stalled():
	default:
		t.Fatal("the stalled follower was not detached")
	}
	if _, _, _, err := stalled.Next(10); !errors.Is(err, ErrStalled) {
		t.Fatalf("Next after the stall: %v, want ErrStalled", err)
	}
	if took < timeout {
		t.Fatalf("process finished after %v: the stalled follower never held it back", took)
	}
	if took > timeout+5*time.Second {
		t.Fatalf("process finished after %v", took)
	}
	// The follower that kept reading lost nothing.
	if got := text(evs, EventStdout); got != strings.Repeat("x", 200000) {
		t.Fatalf("live follower got %d bytes", len(got))
	}
	for _, e := range evs {
		if e.Dropped != 0 {
			t.Fatalf("live follower: event %d reports %d dropped", e.Seq, e.Dropped)
		}
	}
}

func TestIdleFollowerIsNotDetached(t *testing.T) {
	// A follower that took everything is in nobody's way, however long it
	// waits; only time spent holding output back counts.
	m := newManagerWith(t, 4096, 200*time.Millisecond)
	p := start(t, m, sh("echo first; sleep 0.5; head -c 100000 /dev/zero | tr '\\0' y"), StartOptions{})
	f := p.Follow(0)
	defer f.Close()
	evs := follow(t, f, 0)
	if got := text(evs, EventStdout); got != "first\n"+strings.Repeat("y", 100000) {
		t.Fatalf("got %d bytes", len(got))
	}
}

func TestWithoutFollowersTheRingStillDrops(t *testing.T) {
	tests := []struct {
		name  string
		setup func(p *Process)
	}{
		{"never followed", func(*Process) {}},
		{"follower left", func(p *Process) { p.Follow(0).Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManagerWith(t, 4096, time.Minute)
			p := start(t, m, sh("head -c 65536 /dev/zero | tr '\\0' a"), StartOptions{})
			tt.setup(p)
			began := time.Now()
			waitDone(t, p, 5*time.Second)
			if waited := time.Since(began); waited > 3*time.Second {
				t.Fatalf("the writer was held back for %v", waited)
			}
			f := p.Follow(0)
			defer f.Close()
			evs := follow(t, f, 0)
			kept := int64(len(text(evs, EventStdout)))
			if evs[1].Dropped == 0 || evs[1].Dropped+kept != 65536 {
				t.Fatalf("dropped %d + kept %d, want 65536 with dropped > 0", evs[1].Dropped, kept)
			}
		})
	}
}

// waitWriterHeld polls until the pipe reader waits for a follower to take
// output (a condition, not a timer), failing if the process exits first.
func waitWriterHeld(t *testing.T, p *Process) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		held, exited := p.took != nil, p.exited
		p.mu.Unlock()
		if held {
			return
		}
		if exited || time.Now().After(deadline) {
			t.Fatalf("the output was not held for a follower (exited: %v)", exited)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHeldOutputWaitsForTheFirstFollower(t *testing.T) {
	m := newManagerWith(t, 4096, 10*time.Second)
	// About 590 KB through a 4 KiB ring, with no follower yet: held, the
	// writer waits instead of the ring evicting what no one has read.
	p := start(t, m, sh("seq 1 100000"), StartOptions{HoldForFollower: true})
	waitWriterHeld(t, p)
	f := p.Follow(0)
	defer f.Close()
	evs := follow(t, f, 0)
	for _, ev := range evs {
		if ev.Dropped != 0 {
			t.Fatalf("event %d dropped %d bytes", ev.Seq, ev.Dropped)
		}
	}
	if got := text(evs, EventStdout); got != seqOutput(100000) {
		t.Fatalf("stdout: %d bytes, want %d", len(got), len(seqOutput(100000)))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reserved != nil {
		t.Fatal("the reservation outlived the first follower")
	}
}

func TestHeldOutputIsReleasedAfterTheFollowerTimeout(t *testing.T) {
	// No follower ever comes: the reservation stalls out like any follower,
	// and the process runs to its end.
	m := newManagerWith(t, 4096, 50*time.Millisecond)
	p := start(t, m, sh("seq 1 100000"), StartOptions{HoldForFollower: true})
	waitDone(t, p, 10*time.Second)
}
