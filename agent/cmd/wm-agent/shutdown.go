package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/process"
)

// shutdown stops the agent's work in order: refuse new processes, SIGTERM
// every running process group, give them the grace period (cut short by
// another signal on more), SIGKILL whatever is left, then close the
// servers.
func shutdown(m *process.Manager, servers []*http.Server, grace time.Duration, more <-chan os.Signal, log *slog.Logger) {
	m.Close()
	running := m.Running()
	log.Info("shutting down", "running", len(running), "grace", grace)
	m.SignalAll(syscall.SIGTERM)
	if !waitExited(running, grace, more) {
		left := m.Running()
		log.Warn("killing processes still running after the grace period", "count", len(left))
		m.SignalAll(syscall.SIGKILL)
		waitExited(left, 2*time.Second, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	}
}

// waitExited reports whether every process exited within d; a signal on
// interrupt ends the wait early.
func waitExited(procs []*process.Process, d time.Duration, interrupt <-chan os.Signal) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for _, p := range procs {
		select {
		case <-p.Done():
		case <-timer.C:
			return false
		case <-interrupt:
			return false
		}
	}
	return true
}
