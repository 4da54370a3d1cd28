// Package reaper collects the exit status of every child of the agent with a
// single wait4(-1) loop driven by SIGCHLD.
//
// Processes the agent starts are registered at fork time and receive their
// status on a channel; any other child (an orphan re-parented to the agent
// when it is PID 1 or a child subreaper) is reaped and reported to an
// optional callback. Nothing else in the program may call wait on children:
// exec.Cmd.Wait and os.Process.Wait would race with this loop.
//
// Only one Reaper may run in a process.
package reaper

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// Options configure a Reaper.
type Options struct {
	// OnOrphan, when set, is called (from the reaper goroutine) for every
	// reaped child that was not started through Spawn.
	OnOrphan func(pid int, status syscall.WaitStatus)
}

// Reaper owns the wait4(-1) loop.
type Reaper struct {
	onOrphan func(pid int, status syscall.WaitStatus)

	// forkMu is held shared while a child is forked and registered and
	// exclusively while reaping, so a child that exits at once is never
	// reaped before its waiter exists.
	forkMu sync.RWMutex

	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus

	signals chan os.Signal
	stop    chan struct{}
	done    chan struct{}
}

// New returns a Reaper; call Start before spawning anything.
func New(opts Options) *Reaper {
	return &Reaper{
		onOrphan: opts.OnOrphan,
		waiters:  make(map[int]chan syscall.WaitStatus),
		signals:  make(chan os.Signal, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// Start subscribes to SIGCHLD and runs the loop. When the process is not
// PID 1 it first makes itself a child subreaper, so orphaned descendants are
// re-parented to it (and reaped here) rather than to the real init.
func (r *Reaper) Start() error {
	if os.Getpid() != 1 {
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
			return fmt.Errorf("reaper: prctl(PR_SET_CHILD_SUBREAPER): %w", errno)
		}
	}
	signal.Notify(r.signals, syscall.SIGCHLD)
	go r.loop()
	return nil
}

// Stop ends the loop; children that exit afterwards stay zombies.
func (r *Reaper) Stop() {
	signal.Stop(r.signals)
	close(r.stop)
	<-r.done
}

// Spawn calls fork (which must create exactly one child and return its pid)
// and registers the child before the reaper can collect it. The returned
// channel receives the child's wait status once.
func (r *Reaper) Spawn(fork func() (int, error)) (int, <-chan syscall.WaitStatus, error) {
	r.forkMu.RLock()
	defer r.forkMu.RUnlock()
	pid, err := fork()
	if err != nil {
		return 0, nil, err
	}
	exited := make(chan syscall.WaitStatus, 1)
	r.mu.Lock()
	r.waiters[pid] = exited
	r.mu.Unlock()
	return pid, exited, nil
}

func (r *Reaper) loop() {
	defer close(r.done)
	r.reapAll() // zombies inherited before the signal subscription
	for {
		select {
		case <-r.stop:
			return
		case <-r.signals:
			r.reapAll()
		}
	}
}

// reapAll collects every child that has exited, without blocking. Orphans
// are reported after the lock is released so a slow callback cannot hold up
// Spawn.
func (r *Reaper) reapAll() {
	for _, o := range r.collect() {
		r.onOrphan(o.pid, o.status)
	}
}

type reaped struct {
	pid    int
	status syscall.WaitStatus
}

func (r *Reaper) collect() []reaped {
	r.forkMu.Lock()
	defer r.forkMu.Unlock()
	var orphans []reaped
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return orphans // ECHILD (no children) or 0 (none has exited)
		}
		if !r.dispatch(pid, status) && r.onOrphan != nil {
			orphans = append(orphans, reaped{pid, status})
		}
	}
}

// dispatch hands status to the waiter registered for pid, reporting whether
// there was one.
func (r *Reaper) dispatch(pid int, status syscall.WaitStatus) bool {
	r.mu.Lock()
	exited, ok := r.waiters[pid]
	delete(r.waiters, pid)
	r.mu.Unlock()
	if ok {
		exited <- status
	}
	return ok
}
