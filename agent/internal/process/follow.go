package process

import (
	"errors"
	"math"
	"time"
)

// DefaultFollowerTimeout is how long a live follower may hold output back
// without taking any before it is disconnected.
const DefaultFollowerTimeout = 30 * time.Second

// ErrStalled is returned to a follower that was disconnected because it
// took nothing for longer than the follower timeout while output waited
// for it.
var ErrStalled = errors.New("follower took no output for too long and was disconnected")

// Follower is a live reader of a process's events. While any follower is
// attached, output that some follower has not taken yet is never evicted
// from the ring: the pipe reader waits instead, so the process is slowed to
// the pace of its slowest follower. A follower that holds output back
// without taking any for the follower timeout is detached (Stalled is
// closed and Next fails with ErrStalled) so it cannot stall the process
// for ever.
type Follower struct {
	p        *Process
	cursor   Cursor    // guarded by p.mu
	lastTake time.Time // guarded by p.mu
	stalled  chan struct{}
	detached bool // guarded by p.mu
}

// Follow attaches a follower that has seen the events up to seq after.
// Close it when done.
func (p *Process) Follow(after int64) *Follower {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := &Follower{p: p, cursor: p.ring.cursorAfter(after), lastTake: time.Now(), stalled: make(chan struct{})}
	if !p.exited {
		if p.followers == nil {
			p.followers = make(map[*Follower]struct{})
		}
		p.followers[f] = struct{}{}
		// The first follower takes over from the reservation made at start.
		if p.reserved != nil {
			p.reserved.detachLocked()
			p.reserved = nil
		}
		p.pinLocked()
	} else {
		f.detached = true // nothing more will be appended
	}
	return f
}

// Next takes up to max events past the follower's position, like
// Process.Events; more is closed when there may be more to take.
func (f *Follower) Next(max int) (evs []Event, more <-chan struct{}, ended bool, err error) {
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-f.stalled:
		return nil, nil, false, ErrStalled
	default:
	}
	evs, f.cursor, more, ended = p.eventsLocked(f.cursor, max)
	if len(evs) > 0 && !f.detached {
		f.lastTake = time.Now()
		p.pinLocked()
		p.wakeReaderLocked()
	}
	return evs, more, ended, nil
}

// Stalled is closed when the follower has been disconnected for not
// taking output.
func (f *Follower) Stalled() <-chan struct{} { return f.stalled }

// Close detaches the follower; output it has not taken may be evicted.
func (f *Follower) Close() {
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	f.detachLocked()
}

func (f *Follower) detachLocked() {
	if f.detached {
		return
	}
	f.detached = true
	delete(f.p.followers, f)
	f.p.pinLocked()
	f.p.wakeReaderLocked()
}

// pinLocked protects from eviction the events the slowest attached
// follower has not taken.
func (p *Process) pinLocked() {
	pinned := int64(math.MaxInt64)
	for f := range p.followers {
		pinned = min(pinned, f.cursor.Seq)
	}
	p.ring.pinnedAfter = pinned
}

// wakeReaderLocked wakes a pipe reader waiting for followers to take.
func (p *Process) wakeReaderLocked() {
	if p.took != nil {
		close(p.took)
		p.took = nil
	}
}

// waitRoomLocked returns once n more bytes of output can be appended
// without evicting anything an attached follower has not taken, or when
// the process has exited. Meanwhile it releases p.mu, and it detaches the
// followers that keep it waiting without taking anything for the follower
// timeout (counted from when this wait began at the earliest).
func (p *Process) waitRoomLocked(n int) {
	began := time.Now()
	for !p.exited && len(p.followers) > 0 {
		now := time.Now()
		var wake time.Time
		for f := range p.followers {
			unread := p.ring.bytesAfter(f.cursor.Seq)
			if unread == 0 || unread+n <= p.ring.limit {
				continue // not in the way
			}
			deadline := f.lastTake
			if deadline.Before(began) {
				deadline = began
			}
			deadline = deadline.Add(p.followerTimeout)
			if !now.Before(deadline) {
				f.detachLocked()
				close(f.stalled)
				continue
			}
			if wake.IsZero() || deadline.Before(wake) {
				wake = deadline
			}
		}
		if wake.IsZero() {
			return // nothing in the way (any more)
		}
		if p.took == nil {
			p.took = make(chan struct{})
		}
		took := p.took
		p.mu.Unlock()
		timer := time.NewTimer(time.Until(wake))
		select {
		case <-took:
		case <-timer.C:
		}
		timer.Stop()
		p.mu.Lock()
	}
}
