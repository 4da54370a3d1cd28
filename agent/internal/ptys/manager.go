// Package ptys runs interactive shells on pseudo-terminals: each shell is a
// session leader with the PTY as its controlling terminal, its output is
// kept in a ring addressed by byte offset for replay, one client at a time
// is attached to it, and a PTY left without a client for its grace period
// is killed with its whole session.
package ptys

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/process"
	"github.com/workspace-manager/agent/internal/reaper"
	"github.com/workspace-manager/agent/internal/registry"
)

// DefaultRingBytes is the output kept per PTY for replay.
const DefaultRingBytes = 256 << 10

// Config configures a Manager.
type Config struct {
	Reaper *reaper.Reaper // required, already started
	// Launcher resolves shells like processes (working directory,
	// environment, PATH, uid/gid) and says when the agent is shutting down.
	Launcher  *process.Manager
	RingBytes int // default DefaultRingBytes
	// ClientTimeout is how long an attached client may hold output back
	// without taking any before it is detached (default
	// process.DefaultFollowerTimeout).
	ClientTimeout time.Duration
	Logger        *slog.Logger
}

// Manager owns every PTY the agent started.
type Manager struct {
	cfg Config

	ptys *registry.Registry[string, *PTY, Info]
}

// NewManager checks cfg.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Reaper == nil || cfg.Launcher == nil {
		return nil, errors.New("ptys: Config.Reaper and Config.Launcher are required")
	}
	if cfg.RingBytes <= 0 {
		cfg.RingBytes = DefaultRingBytes
	}
	if cfg.ClientTimeout <= 0 {
		cfg.ClientTimeout = process.DefaultFollowerTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Manager{cfg: cfg, ptys: registry.New[string, *PTY, Info]()}, nil
}

// Get returns the PTY with id, running or exited and not yet forgotten.
func (m *Manager) Get(id string) (*PTY, bool) { return m.ptys.Get(id) }

// List describes every PTY still known, oldest first.
func (m *Manager) List() []Info { return m.ptys.List() }

// Running returns the PTYs whose shell has not exited.
func (m *Manager) Running() []*PTY { return m.ptys.Running() }

// SignalAll sends sig to every process of every running PTY's session.
func (m *Manager) SignalAll(sig syscall.Signal) {
	for _, p := range m.Running() {
		_ = p.signal(sig)
	}
}

// Close makes Start refuse new PTYs (running ones are untouched).
func (m *Manager) Close() { m.ptys.Close() }

func (m *Manager) add(p *PTY) error {
	if err := m.ptys.Add(p.id, p); err != nil {
		return process.ErrShuttingDown
	}
	return nil
}

func (m *Manager) forget(p *PTY) {
	m.ptys.Remove(p.id, func(e *PTY) bool { return e == p })
	m.cfg.Logger.Debug("pty forgotten", "pty_id", p.id)
}

func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("pty id: %w", err)
	}
	return "pty_" + hex.EncodeToString(b[:]), nil
}
