package process

import (
	"errors"
	"fmt"
	"strings"
)

// Spec describes a process to start.
type Spec struct {
	Cmd       string
	Args      []string
	Env       map[string]string
	Cwd       string // empty: the manager's working directory
	UID       *int
	GID       *int
	TimeoutMs int64 // 0: no timeout
	Stdin     bool  // keep a stdin pipe open (otherwise /dev/null)
	Tag       string
}

// StartOptions are how a caller wants to watch the process.
type StartOptions struct {
	// CollectLimit > 0 keeps up to that many bytes of each stream for
	// Process.Output, independently of the event ring.
	CollectLimit int
	// StdinData is written to stdin, which is then closed; it implies a
	// stdin pipe.
	StdinData *string
	// HoldForFollower keeps the process's output from the start as if a
	// follower at its first event were attached, until the first real one
	// attaches (or the follower timeout passes): a caller that starts a
	// process and then asks for its events loses none of them to the ring
	// however fast it writes.
	HoldForFollower bool
	// RawStdout, when set, is handed stdout's bytes as they are read,
	// instead of the event ring: no text decoding, no events, nothing
	// collected. It may block (the process is then slowed to its pace) and
	// must not keep the slice. Nothing is handed to it once the process has
	// exited (what descendants still write is discarded).
	RawStdout func([]byte)
}

// ValidationError is a Spec the manager refuses before trying to start it.
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return e.Msg }

// StartError is a valid Spec whose command could not be started. Code is the
// shell's convention: 127 not found, 126 found but not executable.
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// ErrShuttingDown is returned by Start once the manager is closing.
var ErrShuttingDown = errors.New("agent is shutting down")

const maxID = 1<<32 - 2 // (uid_t)-1 means "unchanged" to setuid

func (s *Spec) validate() error {
	invalid := func(format string, a ...any) error {
		return &ValidationError{Msg: fmt.Sprintf(format, a...)}
	}
	if s.Cmd == "" {
		return invalid("cmd is required")
	}
	if strings.ContainsRune(s.Cmd, 0) || strings.ContainsRune(s.Cwd, 0) {
		return invalid("cmd and cwd must not contain NUL")
	}
	for i, a := range s.Args {
		if strings.ContainsRune(a, 0) {
			return invalid("args[%d] contains NUL", i)
		}
	}
	for k, v := range s.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return invalid("env: invalid variable %q", k)
		}
	}
	for name, id := range map[string]*int{"uid": s.UID, "gid": s.GID} {
		if id != nil && (*id < 0 || *id > maxID) {
			return invalid("%s must be between 0 and %d", name, maxID)
		}
	}
	if s.TimeoutMs < 0 {
		return invalid("timeout_ms must not be negative")
	}
	return nil
}
