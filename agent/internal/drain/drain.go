// Package drain copies a child's output descriptor (a pipe or a PTY master)
// to a sink until EOF, and bounds how long it keeps doing so once the child
// has exited.
//
// After the exit, the bytes already waiting in the descriptor are always
// delivered, however long the sink takes to accept them (a sink may block
// for back-pressure); beyond those, output is collected only until the
// drain window has passed. Then the copier reports Drained and goes on
// reading, so that descendants still holding the descriptor never block or
// get SIGPIPE: what it reads from then on is still handed to the sink, which
// is expected to discard it.
package drain

import (
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// Window is how long output is still collected after the exit, beyond the
// bytes that were already waiting: descendants that inherited the
// descriptor (a backgrounded `sleep 100 &`) would otherwise hold the exit
// back until they end.
const Window = 100 * time.Millisecond

// ReadChunk is the most read at once, and so the largest chunk a sink gets.
const ReadChunk = 32 << 10

// Copier reads one descriptor.
type Copier struct {
	f       *os.File
	chunk   int
	window  time.Duration
	exited  chan struct{}
	drained chan struct{}
}

// New returns a copier for f, which must be pollable (non-blocking) so that
// its reads honour deadlines.
func New(f *os.File) *Copier { return NewSize(f, ReadChunk) }

// NewSize is New reading up to chunk bytes at once.
func NewSize(f *os.File, chunk int) *Copier {
	return &Copier{f: f, chunk: chunk, window: Window, exited: make(chan struct{}), drained: make(chan struct{})}
}

// Exited tells the copier that the child has exited; call it once.
func (c *Copier) Exited() {
	close(c.exited)
	// Wake a read blocked on an empty descriptor. The copier sets its own
	// deadlines from here on, and treats an early wake-up as spurious.
	_ = c.f.SetReadDeadline(time.Unix(1, 0))
}

// Drained is closed at EOF, or once the bytes waiting at the exit have been
// delivered and the window has passed.
func (c *Copier) Drained() <-chan struct{} { return c.drained }

// Run copies until EOF or a read error (the descriptor was closed), then
// closes the descriptor. sink is called with each chunk read; it may block,
// and it must not keep the slice.
func (c *Copier) Run(sink func([]byte)) {
	defer c.f.Close()
	var (
		noticed, signalled bool
		owed               int       // bytes waiting when the exit was noticed
		until              time.Time // end of the drain window
	)
	signal := func() {
		if !signalled {
			signalled = true
			close(c.drained)
			_ = c.f.SetReadDeadline(time.Time{})
		}
	}
	buf := make([]byte, c.chunk)
	for {
		if !noticed {
			select {
			case <-c.exited:
				noticed, owed, until = true, pending(c.f), time.Now().Add(c.window)
			default:
			}
		}
		if noticed && !signalled {
			if owed > 0 {
				_ = c.f.SetReadDeadline(time.Time{})
			} else {
				_ = c.f.SetReadDeadline(until)
			}
		}
		n, err := c.f.Read(buf)
		if n > 0 {
			owed = max(owed-n, 0)
			sink(buf[:n])
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if noticed && owed == 0 && !time.Now().Before(until) {
				signal()
			}
		default: // EOF, EIO (a PTY whose every slave is closed), or closed
			signal()
			return
		}
	}
}

// pending is how many bytes can be read from f without blocking (FIONREAD),
// 0 when unknown. On a PTY master Linux reports 0; there the exit of a
// shell whose terminal nobody else holds is observed only once its output
// has been read (the master then reads EOF-like EIO), so nothing is owed.
func pending(f *os.File) int {
	raw, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	var n int32
	var errno syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	}); err != nil || errno != 0 {
		return 0
	}
	return int(n)
}
