package process

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// readChunk is the most read from a pipe at once (and so the largest
// output event).
const readChunk = 32 << 10

// Start validates spec, starts the command in a new process group and
// returns at once. A Spec that is malformed is a *ValidationError; a
// command that cannot be started is a *StartError.
func (m *Manager) Start(spec Spec, opts StartOptions) (*Process, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	closing := m.closing
	m.mu.Unlock()
	if closing {
		return nil, ErrShuttingDown
	}
	cwd := spec.Cwd
	if cwd == "" {
		cwd = m.cfg.Workdir
	}
	if err := checkDir(cwd); err != nil {
		return nil, err
	}
	env := mergeEnv(m.cfg.Env, spec.Env)
	path, err := resolveCommand(spec.Cmd, cwd, lookupEnv(env, "PATH"))
	if err != nil {
		return nil, err
	}

	wantStdin := spec.Stdin || opts.StdinData != nil
	pipes, err := openPipes(wantStdin)
	if err != nil {
		return nil, err
	}
	stdinFd := m.devNull
	if wantStdin {
		stdinFd = pipes.childStdin
	}
	attr := &syscall.ProcAttr{
		Dir:   cwd,
		Env:   env,
		Files: []uintptr{uintptr(stdinFd), uintptr(pipes.childStdout), uintptr(pipes.childStderr)},
		Sys: &syscall.SysProcAttr{
			Setpgid:    true,
			Credential: credential(spec.UID, spec.GID),
		},
	}
	argv := append([]string{spec.Cmd}, spec.Args...)
	pid, exited, err := m.cfg.Reaper.Spawn(func() (int, error) {
		return syscall.ForkExec(path, argv, attr)
	})
	pipes.closeChildEnds()
	if err != nil {
		pipes.closeParentEnds()
		return nil, execError(spec.Cmd, err)
	}

	p := &Process{
		pid:       pid,
		cmd:       spec.Cmd,
		args:      append([]string{}, spec.Args...),
		tag:       spec.Tag,
		startedAt: time.Now(),
		ring:      newRing(m.cfg.RingBytes),
		stdin:     pipes.stdin,
		done:      make(chan struct{}),
	}
	if opts.CollectLimit > 0 {
		p.collect = &collector{limit: opts.CollectLimit}
	}
	p.ring.append(startEvent(pid))

	drained := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	go p.pump(streamStdout, pipes.stdout, drained[streamStdout])
	go p.pump(streamStderr, pipes.stderr, drained[streamStderr])
	go m.supervise(p, exited, [2]*os.File{pipes.stdout, pipes.stderr}, drained,
		time.Duration(spec.TimeoutMs)*time.Millisecond)

	if err := m.add(p); err != nil {
		_ = p.Signal(syscall.SIGKILL)
		return nil, err
	}
	if opts.StdinData != nil {
		data := *opts.StdinData
		go func() { _ = p.WriteStdin(context.Background(), strings.NewReader(data), true) }()
	}
	m.cfg.Logger.Debug("process started", "pid", pid, "cmd", spec.Cmd, "tag", spec.Tag)
	return p, nil
}

// Signal sends sig to the process's whole group.
func (p *Process) Signal(sig syscall.Signal) error {
	if err := syscall.Kill(-p.pid, sig); err != nil {
		return fmt.Errorf("signal process group %d: %w", p.pid, err)
	}
	return nil
}
