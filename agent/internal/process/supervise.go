package process

import (
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/drain"
)

// supervise waits for the process to exit (killing its group at the
// timeout), lets the pipes drain (see package drain) and records the exit
// event. Output the pipes deliver after that is discarded by output.
func (m *Manager) supervise(p *Process, exited <-chan syscall.WaitStatus, pipes [2]*drain.Copier, timeout time.Duration) {
	var timeoutC <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timeoutC = t.C
	}
	killed := false
	var status syscall.WaitStatus
wait:
	for {
		select {
		case status = <-exited:
			break wait
		case <-timeoutC:
			timeoutC = nil
			killed = true
			_ = p.Signal(syscall.SIGKILL)
		}
	}

	for _, c := range pipes {
		c.Exited()
	}
	for _, c := range pipes {
		<-c.Drained()
	}

	timedOut := killed && status.Signaled() && status.Signal() == syscall.SIGKILL
	p.finish(exitCode(status), timedOut)
	m.retire(p)
	close(p.done) // last: whoever waits on Done sees the process listed as ended
	m.cfg.Logger.Debug("process exited", "pid", p.pid, "code", p.exitCode, "timed_out", timedOut)
}

// finish records the exit event; nothing is appended after it.
func (p *Process) finish(code int, timedOut bool) {
	p.mu.Lock()
	for stream := range p.decoders {
		p.emitLocked(stream, p.decoders[stream].flush())
	}
	p.exited, p.exitCode, p.timedOut, p.endedAt = true, code, timedOut, time.Now()
	p.finished.Store(true)
	p.appendLocked(exitEvent(code, timedOut))
	p.wakeReaderLocked() // a reader waiting for followers discards from now on
	stdin := p.stdin
	p.stdin = nil
	p.mu.Unlock()
	if stdin != nil {
		stdin.Close()
	}
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
