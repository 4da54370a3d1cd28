package process

import (
	"slices"
	"strings"
	"testing"
)

func fillRing(limit int, chunks ...string) *ring {
	r := newRing(limit)
	r.append(startEvent(42))
	for _, c := range chunks {
		r.append(Event{Type: EventStdout, Data: c})
	}
	return r
}

func seqs(evs []Event) []int64 {
	var s []int64
	for _, e := range evs {
		s = append(s, e.Seq)
	}
	return s
}

func TestRingReplay(t *testing.T) {
	tests := []struct {
		name        string
		limit       int
		chunks      []string
		after       int64
		wantSeqs    []int64
		wantDropped int64 // on the first output event returned
	}{
		{"everything fits", 100, []string{"aa", "bb"}, 0, []int64{1, 2, 3}, 0},
		{"after skips seen events", 100, []string{"aa", "bb"}, 2, []int64{3}, 0},
		{"oldest evicted", 4, []string{"aa", "bb", "cc"}, 0, []int64{1, 3, 4}, 2},
		{"reader past eviction loses nothing", 4, []string{"aa", "bb", "cc"}, 3, []int64{4}, 0},
		{"reader inside evicted range gets upper bound", 4, []string{"aa", "bb", "cc", "dd"}, 2, []int64{4, 5}, 4},
		{"newest kept even when oversized", 4, []string{"aa", "bbbbbbbb"}, 0, []int64{1, 3}, 2},
		{"after beyond the end", 100, []string{"aa"}, 9, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fillRing(tt.limit, tt.chunks...)
			evs, _ := r.after(r.cursorAfter(tt.after), 100)
			if got := seqs(evs); !slices.Equal(got, tt.wantSeqs) {
				t.Fatalf("seqs %v, want %v", got, tt.wantSeqs)
			}
			var dropped int64
			for _, e := range evs {
				if e.Type == EventStart && e.Dropped != 0 {
					t.Fatalf("start event carries dropped")
				}
				if e.Type != EventStart {
					dropped = e.Dropped
					break
				}
			}
			if dropped != tt.wantDropped {
				t.Fatalf("dropped %d, want %d", dropped, tt.wantDropped)
			}
		})
	}
}

func TestRingLiveFollowerCountsExactLoss(t *testing.T) {
	r := fillRing(4, "aa")
	evs, c := r.after(Cursor{}, 100) // the follower has seen start and "aa"
	if len(evs) != 2 {
		t.Fatalf("got %d events", len(evs))
	}
	r.append(Event{Type: EventStdout, Data: "bb"})
	r.append(Event{Type: EventStdout, Data: "cc"})
	r.append(Event{Type: EventStdout, Data: "dd"}) // evicts "aa" and "bb"
	evs, _ = r.after(c, 100)
	if got := seqs(evs); !slices.Equal(got, []int64{4, 5}) || evs[0].Dropped != 2 {
		t.Fatalf("events %+v, want seqs 4,5 with 2 bytes dropped (only \"bb\" was unseen)", evs)
	}
}

func TestRingKeepsExitAndBoundsMemory(t *testing.T) {
	r := newRing(1000)
	r.append(startEvent(1))
	chunk := strings.Repeat("x", 100)
	for i := 0; i < 10000; i++ {
		r.append(Event{Type: EventStdout, Data: chunk})
	}
	r.append(exitEvent(0, false))
	if r.bytes > 1000 {
		t.Fatalf("ring holds %d bytes, limit 1000", r.bytes)
	}
	if cap(r.queue) > 1000 {
		t.Fatalf("queue capacity %d grows without bound", cap(r.queue))
	}
	evs, _ := r.after(Cursor{}, 1000)
	if evs[0].Type != EventStart || evs[len(evs)-1].Type != EventExit {
		t.Fatalf("first %q last %q, want start and exit", evs[0].Type, evs[len(evs)-1].Type)
	}
	if evs[1].Dropped != 100*(10000-10) {
		t.Fatalf("dropped %d", evs[1].Dropped)
	}
}

func TestRingBatchLimit(t *testing.T) {
	r := fillRing(100, "a", "b", "c")
	evs, c := r.after(Cursor{}, 2)
	if got := seqs(evs); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("first batch %v", got)
	}
	evs, _ = r.after(c, 2)
	if got := seqs(evs); !slices.Equal(got, []int64{3, 4}) {
		t.Fatalf("second batch %v", got)
	}
}
