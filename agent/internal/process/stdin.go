package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
)

// ErrStdinClosed is returned when a process has no open stdin pipe.
var ErrStdinClosed = errors.New("stdin is not open")

// WriteStdin copies r to the process's stdin, then closes it when eof is
// set. Writers are serialised; a write blocked on a full pipe gives up when
// ctx ends or the process exits.
func (p *Process) WriteStdin(ctx context.Context, r io.Reader, eof bool) error {
	p.stdinLock.Lock()
	defer p.stdinLock.Unlock()
	p.mu.Lock()
	f := p.stdin
	p.mu.Unlock()
	if f == nil {
		return ErrStdinClosed
	}
	_ = f.SetWriteDeadline(time.Time{}) // an earlier writer may have cancelled
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.Copy(f, r); err != nil {
		if errors.Is(err, syscall.EPIPE) {
			p.closeStdin()
			return ErrStdinClosed
		}
		if ctx.Err() != nil {
			return fmt.Errorf("write stdin: %w", ctx.Err())
		}
		p.mu.Lock()
		closed := p.stdin == nil
		p.mu.Unlock()
		if closed {
			return ErrStdinClosed
		}
		return fmt.Errorf("write stdin: %w", err)
	}
	if eof {
		p.closeStdin()
	}
	return nil
}

func (p *Process) closeStdin() {
	p.mu.Lock()
	f := p.stdin
	p.stdin = nil
	p.mu.Unlock()
	if f != nil {
		f.Close()
	}
}
