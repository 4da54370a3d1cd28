package registry

import (
	"errors"
	"testing"
	"time"
)

type item struct {
	pid     int
	started time.Time
	done    chan struct{}
}

func (i *item) StartedAt() time.Time  { return i.started }
func (i *item) Pid() int              { return i.pid }
func (i *item) Done() <-chan struct{} { return i.done }
func (i *item) Info() int             { return i.pid }

func newItem(pid int, started time.Time) *item {
	return &item{pid: pid, started: started, done: make(chan struct{})}
}

func TestRegistry(t *testing.T) {
	r := New[string, *item, int]()
	t0 := time.Now()
	late, early, tie := newItem(30, t0.Add(time.Second)), newItem(20, t0), newItem(10, t0)
	for key, e := range map[string]*item{"late": late, "early": early, "tie": tie} {
		if err := r.Add(key, e); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.List(); len(got) != 3 || got[0] != 10 || got[1] != 20 || got[2] != 30 {
		t.Fatalf("List = %v, want oldest first, ties by pid: [10 20 30]", got)
	}
	close(early.done)
	if running := r.Running(); len(running) != 2 {
		t.Fatalf("Running = %d entries, want 2", len(running))
	}
	if e, ok := r.Get("late"); !ok || e != late {
		t.Fatal("Get late")
	}
	// Remove only takes the entry it is asked about.
	if r.Remove("late", func(e *item) bool { return e == early }) {
		t.Fatal("removed an entry that was not the one named")
	}
	if !r.Remove("late", func(e *item) bool { return e == late }) {
		t.Fatal("did not remove late")
	}
	if _, ok := r.Get("late"); ok {
		t.Fatal("late still there")
	}
	r.Close()
	if !r.Closed() {
		t.Fatal("Closed after Close")
	}
	if err := r.Add("new", newItem(40, t0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
	if len(r.List()) != 2 {
		t.Fatal("Close dropped entries")
	}
}
