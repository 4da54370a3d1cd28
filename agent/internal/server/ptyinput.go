package server

import (
	"sync"
	"time"

	"github.com/workspace-manager/agent/internal/ptys"
)

// maxQueuedInput bounds the keystrokes of one connection waiting to be
// written to its terminal; beyond it, reading the client's frames waits.
const maxQueuedInput = 1 << 20

// ptyInput writes a client's keystrokes to the terminal, in order, on a
// goroutine of its own: while a program does not read its terminal and the
// input queue is full, the client's resize and kill frames still take
// effect (up to maxQueuedInput of input may be waiting).
type ptyInput struct {
	p *ptys.PTY

	mu     sync.Mutex
	cond   *sync.Cond
	queue  [][]byte
	queued int
	closed bool
	// timedOut ends a flushed wait; set by its timer.
	timedOut bool
}

func newPtyInput(p *ptys.PTY) *ptyInput {
	in := &ptyInput{p: p}
	in.cond = sync.NewCond(&in.mu)
	go in.run()
	return in
}

// push queues a copy of b, waiting while too much is queued already.
func (in *ptyInput) push(b []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for in.queued >= maxQueuedInput && !in.closed {
		in.cond.Wait()
	}
	if in.closed {
		return
	}
	in.queue = append(in.queue, append([]byte(nil), b...))
	in.queued += len(b)
	in.cond.Broadcast()
}

// flushed waits until every queued keystroke has been written to the
// terminal, or until timeout.
func (in *ptyInput) flushed(timeout time.Duration) {
	timer := time.AfterFunc(timeout, func() {
		in.mu.Lock()
		in.timedOut = true
		in.cond.Broadcast()
		in.mu.Unlock()
	})
	defer timer.Stop()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.timedOut = false
	for in.queued > 0 && !in.closed && !in.timedOut {
		in.cond.Wait()
	}
}

// close lets the writer finish what is queued and end.
func (in *ptyInput) close() {
	in.mu.Lock()
	in.closed = true
	in.cond.Broadcast()
	in.mu.Unlock()
}

func (in *ptyInput) run() {
	for {
		in.mu.Lock()
		for len(in.queue) == 0 && !in.closed {
			in.cond.Wait()
		}
		if len(in.queue) == 0 {
			in.mu.Unlock()
			return
		}
		b := in.queue[0]
		in.queue[0] = nil
		in.queue = in.queue[1:]
		in.mu.Unlock()

		// An error means the shell has exited (or the terminal is gone):
		// nobody reads the input any more, so it is dropped.
		_ = in.p.Write(b)

		in.mu.Lock()
		in.queued -= len(b)
		in.cond.Broadcast()
		in.mu.Unlock()
	}
}
