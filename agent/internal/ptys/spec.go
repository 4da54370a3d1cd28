package ptys

import (
	"fmt"
	"time"

	"github.com/workspace-manager/agent/internal/process"
)

// Defaults of a PTY.
const (
	DefaultGrace = 60 * time.Second
	MaxGrace     = 24 * time.Hour
	DefaultTerm  = "xterm-256color"
	maxDimension = 65535 // struct winsize holds unsigned shorts
)

// Spec describes a terminal to start. Shell, Args, Env, Cwd, UID and GID
// mean what they mean for a process (process.Spec); the shell defaults to
// $SHELL, else /bin/bash, else /bin/sh, and TERM to DefaultTerm.
type Spec struct {
	Cols, Rows int
	Shell      string
	Args       []string
	Env        map[string]string
	Cwd        string
	UID, GID   *int
	// Grace is how long the PTY lives with no client attached, and how
	// long it is kept for replay once its shell has exited (0: DefaultGrace).
	Grace time.Duration
}

func invalid(format string, a ...any) error {
	return &process.ValidationError{Msg: fmt.Sprintf(format, a...)}
}

func validSize(cols, rows int) error {
	if cols < 1 || cols > maxDimension || rows < 1 || rows > maxDimension {
		return invalid("cols and rows must be between 1 and %d", maxDimension)
	}
	return nil
}

func (s *Spec) validate() error {
	if err := validSize(s.Cols, s.Rows); err != nil {
		return err
	}
	if s.Grace < 0 || s.Grace > MaxGrace {
		return invalid("grace_ms must be between 1 and %d", MaxGrace.Milliseconds())
	}
	return nil
}
