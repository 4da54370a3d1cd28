package process

import (
	"math"
	"sort"
)

// Cursor is a reader's position in a ring: the last event seen and the
// output byte offset at its end, which lets the ring say how many bytes a
// reader lost when it fell behind.
type Cursor struct {
	Seq int64
	end int64
}

// ring keeps a process's events within a byte budget. The start event is
// pinned; output events are evicted oldest first when their data exceeds
// the budget (the newest is always kept); the exit event comes last, after
// which nothing more is appended, so it is never evicted either.
type ring struct {
	limit int
	// pinnedAfter protects events with a greater seq from eviction: the
	// slowest live follower has not taken them yet (math.MaxInt64: none).
	pinnedAfter int64

	start    entry
	hasStart bool
	queue    []entry // output events then exit, oldest first from head
	head     int
	bytes    int // data bytes held in queue

	nextSeq      int64
	total        int64 // output bytes ever appended
	evictedBytes int64 // output bytes evicted, all from the oldest events
	evictedSeq   int64 // highest evicted seq, 0 when none
}

type entry struct {
	ev  Event
	end int64 // total output bytes up to and including this event
}

func newRing(limit int) *ring {
	return &ring{limit: limit, nextSeq: 1, pinnedAfter: math.MaxInt64}
}

// append assigns the next seq to ev, stores it and returns it.
func (r *ring) append(ev Event) Event {
	ev.Seq = r.nextSeq
	r.nextSeq++
	r.total += int64(len(ev.Data))
	e := entry{ev: ev, end: r.total}
	if ev.Type == EventStart {
		r.start, r.hasStart = e, true
		return ev
	}
	r.queue = append(r.queue, e)
	r.bytes += len(ev.Data)
	r.evict()
	return ev
}

func (r *ring) evict() {
	for r.bytes > r.limit && len(r.queue)-r.head > 1 && r.queue[r.head].ev.Seq <= r.pinnedAfter {
		old := r.queue[r.head]
		r.queue[r.head] = entry{} // release the data
		r.head++
		r.bytes -= len(old.ev.Data)
		r.evictedBytes += int64(len(old.ev.Data))
		r.evictedSeq = old.ev.Seq
	}
	if r.head > 64 && r.head*2 > len(r.queue) {
		n := copy(r.queue, r.queue[r.head:])
		clear(r.queue[n:])
		r.queue = r.queue[:n]
		r.head = 0
	}
}

// cursorAfter is the position of a reader that has seen every event up to
// seq. When that event has been evicted its end offset is unknown and the
// cursor counts from offset 0, so the next read reports every evicted byte
// (an upper bound of what that reader lost).
func (r *ring) cursorAfter(seq int64) Cursor {
	if seq <= 0 {
		return Cursor{}
	}
	if seq >= r.nextSeq-1 {
		return Cursor{Seq: seq, end: r.total}
	}
	if r.hasStart && seq == r.start.ev.Seq {
		return Cursor{Seq: seq, end: r.start.end}
	}
	live := r.queue[r.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].ev.Seq >= seq })
	if i < len(live) && live[i].ev.Seq == seq {
		return Cursor{Seq: seq, end: live[i].end}
	}
	return Cursor{Seq: seq}
}

// after returns up to max events following c and the cursor past them. The
// first event carries Dropped when evicted output lies between c and it.
func (r *ring) after(c Cursor, max int) ([]Event, Cursor) {
	var out []Event
	last := c
	add := func(e entry) {
		out = append(out, e.ev)
		last = Cursor{Seq: e.ev.Seq, end: e.end}
	}
	if r.hasStart && r.start.ev.Seq > c.Seq {
		add(r.start)
	}
	live := r.queue[r.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].ev.Seq > c.Seq })
	for ; i < len(live) && len(out) < max; i++ {
		add(live[i])
	}
	if len(out) > 0 && r.evictedSeq > c.Seq {
		// Evicted events all precede the kept ones, so a reader behind the
		// eviction point lost everything evicted past its offset.
		if lost := r.evictedBytes - c.end; lost > 0 {
			for j := range out {
				if out[j].Type != EventStart {
					out[j].Dropped = lost
					break
				}
			}
		}
	}
	return out, last
}

// bytesAfter is how many output bytes the ring holds in events with a seq
// greater than seq: what a reader that has taken up to seq has yet to take.
func (r *ring) bytesAfter(seq int64) int {
	live := r.queue[r.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].ev.Seq > seq })
	if i == len(live) {
		return 0
	}
	base := r.evictedBytes
	if i > 0 {
		base = live[i-1].end
	}
	return int(r.total - base)
}
