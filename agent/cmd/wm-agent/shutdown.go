package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/process"
	"github.com/workspace-manager/agent/internal/ptys"
)

// shutdown stops the agent's work in order: refuse new processes and PTYs,
// SIGTERM every running process group and hang up every PTY (SIGHUP to its
// whole session: interactive shells ignore SIGTERM), give them the grace
// period (cut short by another signal on more), SIGKILL whatever is left,
// then close the servers.
func shutdown(m *process.Manager, pm *ptys.Manager, endpoint *socketEndpoint, servers []*http.Server, grace time.Duration, more <-chan os.Signal, log *slog.Logger) {
	m.Close()
	pm.Close()
	running := doneChannels(m.Running(), pm.Running())
	log.Info("shutting down", "running", len(running), "grace", grace)
	m.SignalAll(syscall.SIGTERM)
	pm.SignalAll(syscall.SIGHUP)
	if !waitDone(running, grace, more) {
		left := doneChannels(m.Running(), pm.Running())
		log.Warn("killing processes still running after the grace period", "count", len(left))
		m.SignalAll(syscall.SIGKILL)
		pm.SignalAll(syscall.SIGKILL)
		waitDone(left, 2*time.Second, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if endpoint != nil {
		endpoint.shutdown(ctx)
	}
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	}
}

func doneChannels(procs []*process.Process, terminals []*ptys.PTY) []<-chan struct{} {
	var out []<-chan struct{}
	for _, p := range procs {
		out = append(out, p.Done())
	}
	for _, p := range terminals {
		out = append(out, p.Done())
	}
	return out
}

// waitDone reports whether every channel closed within d; a signal on
// interrupt ends the wait early.
func waitDone(done []<-chan struct{}, d time.Duration, interrupt <-chan os.Signal) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for _, c := range done {
		select {
		case <-c:
		case <-timer.C:
			return false
		case <-interrupt:
			return false
		}
	}
	return true
}
