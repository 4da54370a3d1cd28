package ptys

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/drain"
	"github.com/workspace-manager/agent/internal/process"
)

// ErrExited is returned for input to a PTY whose shell has exited.
var ErrExited = errors.New("the pty's shell has exited")

// PTY is one shell on a pseudo-terminal.
type PTY struct {
	m         *Manager
	id        string
	pid       int // the shell: session leader, so also the session id
	startedAt time.Time
	graceFor  time.Duration
	master    *os.File

	mu       sync.Mutex
	ring     *byteRing
	cols     int
	rows     int
	client   *Client
	changed  chan struct{} // closed on new output or exit; nil until a client waits
	took     chan struct{} // closed when the client takes or leaves; nil until the reader waits
	grace    *time.Timer   // running while no client is attached
	graceGen int           // invalidates a grace timer that fired as it was stopped
	exited   bool
	exitCode int
	endedAt  time.Time

	done chan struct{} // closed once the shell has exited and its output is in the ring
}

// Info describes a PTY on the wire.
type Info struct {
	ID        string  `json:"pty_id"`
	Pid       int     `json:"pid"`
	Cols      int     `json:"cols"`
	Rows      int     `json:"rows"`
	State     string  `json:"state"`
	ExitCode  *int    `json:"exit_code"`
	Attached  bool    `json:"attached"`
	StartedAt string  `json:"started_at"`
	EndedAt   *string `json:"ended_at"`
}

// ID is the PTY's id.
func (p *PTY) ID() string { return p.id }

// Pid is the shell's pid, which is also its session id.
func (p *PTY) Pid() int { return p.pid }

// Done is closed once the shell has exited and its output is kept.
func (p *PTY) Done() <-chan struct{} { return p.done }

// StartedAt is when the shell was started.
func (p *PTY) StartedAt() time.Time { return p.startedAt }

// Info returns a snapshot of the PTY's description and state.
func (p *PTY) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	info := Info{
		ID:        p.id,
		Pid:       p.pid,
		Cols:      p.cols,
		Rows:      p.rows,
		State:     process.StateRunning,
		Attached:  p.client != nil,
		StartedAt: p.startedAt.UTC().Format(process.TimeFormat),
	}
	if p.exited {
		code := p.exitCode
		ended := p.endedAt.UTC().Format(process.TimeFormat)
		info.State, info.ExitCode, info.EndedAt = process.StateExited, &code, &ended
	}
	return info
}

// Write sends input (keystrokes) to the terminal. It blocks while the
// terminal's input queue is full.
func (p *PTY) Write(b []byte) error {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited {
		return ErrExited
	}
	if _, err := p.master.Write(b); err != nil {
		if errors.Is(err, os.ErrClosed) {
			return ErrExited
		}
		return fmt.Errorf("write to pty: %w", err)
	}
	return nil
}

// Resize sets the terminal size (its programs get SIGWINCH); resizing a
// PTY whose shell has exited does nothing.
func (p *PTY) Resize(cols, rows int) error {
	if err := validSize(cols, rows); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return nil
	}
	if err := setSize(p.master, cols, rows); err != nil {
		return err
	}
	p.cols, p.rows = cols, rows
	return nil
}

// Kill sends SIGKILL to every process of the PTY's session.
func (p *PTY) Kill() error { return p.signal(syscall.SIGKILL) }

func (p *PTY) signal(sig syscall.Signal) error {
	n, err := signalSession(p.pid, sig)
	p.m.cfg.Logger.Debug("signalled pty session", "pty_id", p.id, "signal", sig.String(), "processes", n)
	return err
}

// output records a chunk read from the master, first waiting for room if
// the attached client has not taken what the ring holds (back-pressure).
// Output read after the exit was recorded is discarded.
func (p *PTY) output(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return
	}
	p.waitRoomLocked(len(b))
	if p.exited {
		return
	}
	p.ring.write(b)
	p.wakeClientLocked()
}

func (p *PTY) wakeClientLocked() {
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
}

func (p *PTY) wakeReaderLocked() {
	if p.took != nil {
		close(p.took)
		p.took = nil
	}
}

// supervise waits for the shell to exit, lets the master drain (see
// package drain), records the exit and hangs the terminal up.
func (p *PTY) supervise(exited <-chan syscall.WaitStatus, copier *drain.Copier) {
	status := <-exited
	copier.Exited()
	<-copier.Drained()
	p.mu.Lock()
	p.exited, p.exitCode, p.endedAt = true, exitCode(status), time.Now()
	p.stopGraceLocked() // nothing left to kill on a timer
	p.wakeClientLocked()
	p.wakeReaderLocked()
	p.mu.Unlock()
	// Closing the master hangs the terminal up, as closing a terminal
	// window does: what is left of the session gets EIO on the terminal.
	p.master.Close()
	close(p.done)
	time.AfterFunc(p.graceFor, func() { p.m.forget(p) })
	p.m.cfg.Logger.Debug("pty shell exited", "pty_id", p.id, "pid", p.pid, "code", p.exitCode)
}

// exitCode follows the shell: the exit status, or 128 + the signal number.
func exitCode(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return -1
}

// armGraceLocked starts the grace period of a PTY without a client: when
// it runs out with still no client, the whole session is killed.
func (p *PTY) armGraceLocked() {
	if p.exited {
		return
	}
	p.stopGraceLocked()
	gen := p.graceGen
	p.grace = time.AfterFunc(p.graceFor, func() {
		p.mu.Lock()
		expired := gen == p.graceGen && p.client == nil && !p.exited
		p.mu.Unlock()
		if expired {
			p.m.cfg.Logger.Info("pty had no client for its grace period: killing its session",
				"pty_id", p.id, "grace", p.graceFor)
			_ = p.Kill()
		}
	})
}

// stopGraceLocked cancels a pending grace period (a client attached).
func (p *PTY) stopGraceLocked() {
	p.graceGen++
	if p.grace != nil {
		p.grace.Stop()
		p.grace = nil
	}
}
