package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// signalAll is kill(2) with pid -1; a variable so that tests need not
// signal every process they may.
var signalAll = func(sig syscall.Signal) error { return syscall.Kill(-1, sig) }

// underAgent says whether PID 1 of this PID namespace is the agent, as in
// a sandbox. kill(-1) anywhere else (on a host, where PID 1 is init) would
// stop every process the caller may signal: the subcommands refuse there.
var underAgent = func() bool {
	comm, err := os.ReadFile("/proc/1/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "wm-agent"
}

// freezeSignals are the subcommands that stop or continue a sandbox's
// processes: Kubernetes has no pause, so the server runs `wm-agent freeze`
// in the container (exec) to stop them and `wm-agent thaw` to continue them.
var freezeSignals = map[string]syscall.Signal{
	"freeze": syscall.SIGSTOP,
	"thaw":   syscall.SIGCONT,
}

// runFreeze sends the subcommand's signal to every process it may signal
// except itself and PID 1 (the agent, which must keep answering): that is
// what kill(-1, sig) does inside the sandbox's PID namespace. ESRCH (no
// other process) is success. It returns the exit status.
func runFreeze(verb string, args []string, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintf(stderr, "wm-agent: %s takes no arguments\n", verb)
		return 2
	}
	if !underAgent() {
		fmt.Fprintf(stderr, "wm-agent: %s: PID 1 is not the agent: this is not a sandbox, refusing to signal every process\n", verb)
		return 1
	}
	if err := signalAll(freezeSignals[verb]); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintf(stderr, "wm-agent: %s: %v\n", verb, err)
		return 1
	}
	return 0
}
