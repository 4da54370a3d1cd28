package ptys

import (
	"errors"
	"fmt"
	"maps"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/drain"
	"github.com/workspace-manager/agent/internal/process"
)

// Start validates spec and starts its shell on a new PTY. A malformed Spec
// is a *process.ValidationError, a shell that cannot be started a
// *process.StartError. The grace period starts at once: attach a client
// before it runs out.
func (m *Manager) Start(spec Spec) (*PTY, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if m.cfg.Launcher.Closing() {
		return nil, process.ErrShuttingDown
	}
	if spec.Grace == 0 {
		spec.Grace = DefaultGrace
	}
	env := maps.Clone(spec.Env)
	if env == nil {
		env = make(map[string]string)
	}
	if _, ok := env["TERM"]; !ok {
		env["TERM"] = DefaultTerm
	}
	shell := spec.Shell
	if shell == "" {
		shell = m.defaultShell(spec.Env)
	}
	cmd, err := m.cfg.Launcher.Resolve(process.Spec{
		Cmd: shell, Args: spec.Args, Env: env, Cwd: spec.Cwd, UID: spec.UID, GID: spec.GID,
	})
	if err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}

	master, slave, err := openPTY()
	if err != nil {
		return nil, err
	}
	if err := setSize(master, spec.Cols, spec.Rows); err != nil {
		master.Close()
		syscall.Close(slave)
		return nil, err
	}
	if cmd.Cred != nil {
		// Like login: the user owns their terminal (so it can reopen it).
		_ = syscall.Fchown(slave, int(cmd.Cred.Uid), int(cmd.Cred.Gid))
	}
	attr := &syscall.ProcAttr{
		Dir:   cmd.Dir,
		Env:   cmd.Env,
		Files: []uintptr{uintptr(slave), uintptr(slave), uintptr(slave)},
		Sys: &syscall.SysProcAttr{
			Setsid:     true,
			Setctty:    true,
			Ctty:       0, // the child's stdin
			Credential: cmd.Cred,
		},
	}
	pid, exited, err := m.cfg.Reaper.Spawn(func() (int, error) {
		return syscall.ForkExec(cmd.Path, cmd.Argv, attr)
	})
	syscall.Close(slave)
	if err != nil {
		master.Close()
		return nil, execError(shell, err)
	}

	p := &PTY{
		m:         m,
		id:        id,
		pid:       pid,
		startedAt: time.Now(),
		graceFor:  spec.Grace,
		master:    master,
		ring:      newByteRing(m.cfg.RingBytes),
		cols:      spec.Cols,
		rows:      spec.Rows,
		done:      make(chan struct{}),
	}
	copier := drain.New(master)
	go copier.Run(p.output)
	go p.supervise(exited, copier)
	if err := m.add(p); err != nil {
		_ = p.signal(syscall.SIGKILL)
		return nil, err
	}
	p.mu.Lock()
	p.armGraceLocked()
	p.mu.Unlock()
	m.cfg.Logger.Debug("pty started", "pty_id", id, "pid", pid, "shell", shell)
	return p, nil
}

// defaultShell is $SHELL (as the shell would see it), else /bin/bash, else
// /bin/sh.
func (m *Manager) defaultShell(env map[string]string) string {
	if sh := m.cfg.Launcher.Getenv(env, "SHELL"); sh != "" {
		return sh
	}
	if err := syscall.Access("/bin/bash", 1 /* X_OK */); err == nil {
		return "/bin/bash"
	}
	return "/bin/sh"
}

// execError classifies an execve failure like the shell: 127 not found,
// 126 otherwise.
func execError(cmd string, err error) *process.StartError {
	code := 126
	if errors.Is(err, syscall.ENOENT) {
		code = 127
	}
	return &process.StartError{Code: code, Err: fmt.Errorf("%s: %w", cmd, err)}
}
