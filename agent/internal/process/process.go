package process

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const (
	streamStdout = 0
	streamStderr = 1
)

var streamEvent = [2]string{EventStdout, EventStderr}

// Process is one command started by the Manager. It outlives the request
// that started it; its events are kept in a bounded ring for replay.
type Process struct {
	pid       int
	cmd       string
	args      []string
	tag       string
	startedAt time.Time

	mu        sync.Mutex
	ring      *ring
	decoders  [2]textDecoder
	collect   *collector
	changed   chan struct{} // closed on the next append; nil until a reader waits
	exited    bool
	exitCode  int
	timedOut  bool
	endedAt   time.Time
	stdin     *os.File // nil when closed or never opened
	stdinLock sync.Mutex

	followers       map[*Follower]struct{} // live followers holding output back
	reserved        *Follower              // StartOptions.HoldForFollower's, until a follower attaches
	took            chan struct{}          // closed when a follower takes or leaves; nil until the reader waits
	followerTimeout time.Duration

	done chan struct{} // closed once the exit event is in the ring
	// finished is set with the exit event; a raw stdout sink is not called
	// after it.
	finished atomic.Bool
}

// Info describes a process on the wire.
type Info struct {
	Pid       int      `json:"pid"`
	Cmd       string   `json:"cmd"`
	Args      []string `json:"args"`
	Tag       string   `json:"tag"`
	State     string   `json:"state"`
	ExitCode  *int     `json:"exit_code"`
	TimedOut  bool     `json:"timed_out"`
	StartedAt string   `json:"started_at"`
	EndedAt   *string  `json:"ended_at"`
}

// Process states.
const (
	StateRunning = "running"
	StateExited  = "exited"
)

// TimeFormat is how times appear on the wire (ISO 8601, UTC, milliseconds).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Pid is the process id, also its process group id.
func (p *Process) Pid() int { return p.pid }

// Done is closed once the process has exited and its exit event is recorded.
func (p *Process) Done() <-chan struct{} { return p.done }

// StartedAt is when the process was started.
func (p *Process) StartedAt() time.Time { return p.startedAt }

// Info returns a snapshot of the process's description and state.
func (p *Process) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	info := Info{
		Pid:       p.pid,
		Cmd:       p.cmd,
		Args:      p.args,
		Tag:       p.tag,
		State:     StateRunning,
		TimedOut:  p.timedOut,
		StartedAt: p.startedAt.UTC().Format(TimeFormat),
	}
	if p.exited {
		code := p.exitCode
		ended := p.endedAt.UTC().Format(TimeFormat)
		info.State, info.ExitCode, info.EndedAt = StateExited, &code, &ended
	}
	return info
}

// Output returns what was collected for a run (see StartOptions) and the
// exit code; call it after Done.
func (p *Process) Output() (Output, int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out Output
	if p.collect != nil {
		out = Output{
			Stdout:    p.collect.streams[streamStdout].String(),
			Stderr:    p.collect.streams[streamStderr].String(),
			Truncated: p.collect.truncated,
		}
	}
	return out, p.exitCode, p.timedOut
}

// CursorAfter is the position of a reader that has seen events up to seq.
func (p *Process) CursorAfter(seq int64) Cursor {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ring.cursorAfter(seq)
}

// Events returns up to max events after c, the cursor past them, and
// either ended (the exit event has been returned) or a channel closed when
// more events are appended.
func (p *Process) Events(c Cursor, max int) (evs []Event, next Cursor, more <-chan struct{}, ended bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eventsLocked(c, max)
}

func (p *Process) eventsLocked(c Cursor, max int) (evs []Event, next Cursor, more <-chan struct{}, ended bool) {
	evs, next = p.ring.after(c, max)
	if len(evs) > 0 && evs[len(evs)-1].Type == EventExit {
		return evs, next, nil, true
	}
	if len(evs) == 0 && p.exited && next.Seq >= p.ring.nextSeq-1 {
		return nil, next, nil, true // the reader is already past the exit
	}
	if len(evs) == max {
		closed := make(chan struct{})
		close(closed)
		return evs, next, closed, false
	}
	if p.changed == nil {
		p.changed = make(chan struct{})
	}
	return evs, next, p.changed, false
}

// appendLocked records ev and wakes waiting readers; p.mu must be held.
func (p *Process) appendLocked(ev Event) {
	p.ring.append(ev)
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
}

// output records a chunk read from stdout or stderr, first waiting for
// room if live followers have not taken what the ring holds
// (back-pressure). Output arriving after the exit event (from descendants
// still holding the pipe) is discarded.
func (p *Process) output(stream int, b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return
	}
	text := p.decoders[stream].decode(b)
	if text == "" {
		return
	}
	p.waitRoomLocked(len(text))
	if p.exited {
		return
	}
	p.emitLocked(stream, text)
}

func (p *Process) emitLocked(stream int, text string) {
	if text == "" {
		return
	}
	p.appendLocked(Event{Type: streamEvent[stream], Data: text})
	if p.collect != nil {
		p.collect.add(stream, text)
	}
}
