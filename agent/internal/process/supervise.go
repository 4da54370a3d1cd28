package process

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// drainAfterExit bounds how long output is still collected once the
// process has exited: descendants that inherited stdout or stderr (a
// backgrounded `sleep 100 &`) would otherwise hold the exit event back
// until they end.
const drainAfterExit = 100 * time.Millisecond

// pump copies one pipe into the process's events until EOF. It closes
// drained at EOF or at the first read deadline (set once the process has
// exited), then keeps reading — output that arrives after the exit event is
// discarded — so that descendants writing to the pipe never get SIGPIPE.
func (p *Process) pump(stream int, f *os.File, drained chan<- struct{}) {
	defer f.Close()
	signalled := false
	signal := func() {
		if !signalled {
			close(drained)
			signalled = true
		}
	}
	buf := make([]byte, readChunk)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			p.output(stream, buf[:n])
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			signal()
			_ = f.SetReadDeadline(time.Time{})
		default: // EOF, or the file was closed
			signal()
			return
		}
	}
}

// supervise waits for the process to exit (killing its group at the
// timeout), lets the pipes drain briefly and records the exit event.
func (m *Manager) supervise(p *Process, exited <-chan syscall.WaitStatus, pipes [2]*os.File, drained [2]chan struct{}, timeout time.Duration) {
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

	deadline := time.Now().Add(drainAfterExit)
	for i, f := range pipes {
		select {
		case <-drained[i]:
		default:
			_ = f.SetReadDeadline(deadline)
		}
	}
	<-drained[streamStdout]
	<-drained[streamStderr]

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
	p.appendLocked(exitEvent(code, timedOut))
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
