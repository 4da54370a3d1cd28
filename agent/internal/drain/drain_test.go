package drain

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"
)

// sink collects what a copier delivers, as of when Drained closed.
type sink struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	pause time.Duration
}

func (s *sink) write(b []byte) {
	time.Sleep(s.pause)
	s.mu.Lock()
	s.buf.Write(b)
	s.mu.Unlock()
}

func (s *sink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

func waitDrained(t *testing.T, c *Copier, within time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	select {
	case <-c.Drained():
		return time.Since(began)
	case <-time.After(within):
		t.Fatalf("not drained within %v", within)
		return 0
	}
}

func TestDrain(t *testing.T) {
	tests := []struct {
		name     string
		waiting  int           // bytes in the pipe at the exit
		pause    time.Duration // per delivery
		keepOpen bool          // a descendant still holds the write end
		want     int           // delivered when drained
		atLeast  time.Duration // Drained no sooner
		atMost   time.Duration // nor later
	}{
		{"EOF drains at once", 1000, 0, false, 1000, 0, time.Second},
		{"holder still open: the window", 1000, 0, true, 1000, Window, Window + time.Second},
		// 60000 bytes waiting take two reads of 150 ms each: longer than
		// the window, and still all delivered.
		{"slow sink gets what was waiting", 60000, 150 * time.Millisecond, true, 60000, 300 * time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if _, err := w.Write(bytes.Repeat([]byte("x"), tt.waiting)); err != nil {
				t.Fatal(err)
			}
			if !tt.keepOpen {
				w.Close()
			}
			s := &sink{pause: tt.pause}
			c := New(r)
			done := make(chan struct{})
			go func() { c.Run(s.write); close(done) }()
			c.Exited()
			took := waitDrained(t, c, 3*time.Second)
			if got := s.len(); got != tt.want {
				t.Fatalf("delivered %d bytes when drained, want %d", got, tt.want)
			}
			if took < tt.atLeast || took > tt.atMost {
				t.Fatalf("drained after %v, want between %v and %v", took, tt.atLeast, tt.atMost)
			}
			// It goes on reading (so writers never block) until EOF.
			if tt.keepOpen {
				if _, err := w.Write([]byte("late")); err != nil {
					t.Fatal(err)
				}
				w.Close()
			}
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				t.Fatal("Run did not return at EOF")
			}
		})
	}
}

func TestReadBeforeExitIsUnbounded(t *testing.T) {
	// Until Exited, a quiet pipe is simply waited on.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := New(r)
	s := &sink{}
	go c.Run(s.write)
	time.Sleep(2 * Window)
	select {
	case <-c.Drained():
		t.Fatal("drained before the exit")
	default:
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	waitDrained(t, c, 3*time.Second)
	if s.len() != 5 {
		t.Fatalf("delivered %d", s.len())
	}
}
