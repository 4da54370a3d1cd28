// Package process starts and supervises the commands the agent runs: each in
// its own process group, with output kept in a bounded event ring that any
// number of readers can replay and follow.
package process

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/reaper"
	"github.com/workspace-manager/agent/internal/registry"
)

// Config configures a Manager.
type Config struct {
	Reaper    *reaper.Reaper // required, already started
	Workdir   string         // default cwd
	Env       []string       // base environment ("K=V") for every process
	RingBytes int            // per-process output kept for replay
	KeepEnded int            // ended processes still listed (default 100)
	// FollowerTimeout is how long a live follower may hold output back
	// without taking any (default DefaultFollowerTimeout).
	FollowerTimeout time.Duration
	Logger          *slog.Logger
}

// Manager owns every process the agent started.
type Manager struct {
	cfg     Config
	devNull int // O_RDONLY /dev/null, the stdin of processes without one

	procs *registry.Registry[int, *Process, Info]

	mu    sync.Mutex // guards ended
	ended []*Process // oldest first, at most cfg.KeepEnded
}

// NewManager checks cfg and opens what every spawn shares.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Reaper == nil {
		return nil, errors.New("process: Config.Reaper is required")
	}
	if cfg.RingBytes <= 0 {
		return nil, fmt.Errorf("process: ring size %d must be positive", cfg.RingBytes)
	}
	if cfg.KeepEnded <= 0 {
		cfg.KeepEnded = 100
	}
	if cfg.FollowerTimeout <= 0 {
		cfg.FollowerTimeout = DefaultFollowerTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("process: open /dev/null: %w", err)
	}
	return &Manager{cfg: cfg, devNull: fd, procs: registry.New[int, *Process, Info]()}, nil
}

// Get returns the process with pid, running or recently ended.
func (m *Manager) Get(pid int) (*Process, bool) { return m.procs.Get(pid) }

// List describes running and recently ended processes, oldest first.
func (m *Manager) List() []Info { return m.procs.List() }

// Running returns the processes that have not exited yet.
func (m *Manager) Running() []*Process { return m.procs.Running() }

// SignalAll sends sig to the process group of every running process.
func (m *Manager) SignalAll(sig syscall.Signal) {
	for _, p := range m.Running() {
		_ = p.Signal(sig) // a group that is already gone is fine
	}
}

// Close makes Start refuse new processes (running ones are untouched).
func (m *Manager) Close() { m.procs.Close() }

func (m *Manager) add(p *Process) error {
	if err := m.procs.Add(p.pid, p); err != nil {
		return ErrShuttingDown
	}
	return nil
}

// retire moves p to the ended list, forgetting the oldest beyond KeepEnded.
func (m *Manager) retire(p *Process) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ended = append(m.ended, p)
	for len(m.ended) > m.cfg.KeepEnded {
		old := m.ended[0]
		m.ended[0] = nil
		m.ended = m.ended[1:]
		m.procs.Remove(old.pid, func(e *Process) bool { return e == old })
	}
}
