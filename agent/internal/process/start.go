package process

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/drain"
)

// Start validates spec, starts the command in a new process group and
// returns at once. A Spec that is malformed is a *ValidationError; a
// command that cannot be started is a *StartError.
func (m *Manager) Start(spec Spec, opts StartOptions) (*Process, error) {
	if m.Closing() {
		return nil, ErrShuttingDown
	}
	cmd, err := m.Resolve(spec)
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
		Dir:   cmd.Dir,
		Env:   cmd.Env,
		Files: []uintptr{uintptr(stdinFd), uintptr(pipes.childStdout), uintptr(pipes.childStderr)},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Credential: cmd.Cred},
	}
	pid, exited, err := m.cfg.Reaper.Spawn(func() (int, error) {
		return syscall.ForkExec(cmd.Path, cmd.Argv, attr)
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

		followerTimeout: m.cfg.FollowerTimeout,
		stdin:           pipes.stdin,
		done:            make(chan struct{}),
	}
	if opts.CollectLimit > 0 {
		p.collect = &collector{limit: opts.CollectLimit}
	}
	p.ring.append(startEvent(pid))
	if opts.HoldForFollower {
		// Before any output is read: from here nothing is evicted unseen.
		p.reserved = p.Follow(0)
	}

	copiers := [2]*drain.Copier{drain.New(pipes.stdout), drain.New(pipes.stderr)}
	sinks := [2]func([]byte){
		func(b []byte) { p.output(streamStdout, b) },
		func(b []byte) { p.output(streamStderr, b) },
	}
	if raw := opts.RawStdout; raw != nil {
		// Bytes straight from the pipe, read in large chunks from a large
		// pipe: fewer reads, wakeups and writes per byte than events.
		growPipe(pipes.stdout, rawPipeBytes)
		copiers[streamStdout] = drain.NewSize(pipes.stdout, RawReadChunk)
		sinks[streamStdout] = func(b []byte) {
			if !p.finished.Load() {
				raw(b)
			}
		}
	}
	for stream, c := range copiers {
		go c.Run(sinks[stream])
	}
	go m.supervise(p, exited, copiers, time.Duration(spec.TimeoutMs)*time.Millisecond)

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
