// Command wm-agent is the in-sandbox agent of Workspace Manager: PID 1 of
// every sandbox container, it reaps zombies, forwards signals and serves
// the process API of docs/agent-protocol.md on a unix socket (and
// optionally TCP).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/process"
	"github.com/workspace-manager/agent/internal/ptys"
	"github.com/workspace-manager/agent/internal/reaper"
	"github.com/workspace-manager/agent/internal/server"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

const (
	tokenEnv      = "WM_AGENT_TOKEN"
	minTokenBytes = 32
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole agent (or, as `install DEST`, a copy of it); it returns
// the exit status (0 after a clean shutdown, 2 for a bad command line or
// environment, 1 otherwise).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "install" {
		return runInstall(args[1:], stderr)
	}
	if len(args) > 0 && freezeSignals[args[0]] != 0 {
		return runFreeze(args[0], args[1:], stderr)
	}
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "wm-agent:", err)
		return 2
	}
	if opts.showVersion {
		fmt.Fprintln(stdout, version)
		return 0
	}
	token, err := takeToken()
	if err != nil {
		fmt.Fprintln(stderr, "wm-agent:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("component", "wm-agent")
	if err := serve(opts, token, log); err != nil {
		log.Error("agent failed", "err", err)
		return 1
	}
	return 0
}

// takeToken reads the token once and removes it from the environment so
// that no process the agent starts inherits it.
func takeToken() (string, error) {
	token := os.Getenv(tokenEnv)
	if err := os.Unsetenv(tokenEnv); err != nil {
		return "", fmt.Errorf("unset %s: %w", tokenEnv, err)
	}
	if len(token) < minTokenBytes {
		return "", fmt.Errorf("%s must be set to at least %d characters", tokenEnv, minTokenBytes)
	}
	return token, nil
}

func serve(opts options, token string, log *slog.Logger) error {
	// Subscribe before anything can send them: as PID 1, an unhandled
	// SIGHUP or SIGQUIT would otherwise end the agent (and the sandbox).
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	forward := make(chan os.Signal, 8)
	signal.Notify(forward, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)

	prewarmThreads(spareThreads)
	r := reaper.New(reaper.Options{OnOrphan: func(pid int, _ syscall.WaitStatus) {
		log.Debug("reaped orphan", "pid", pid)
	}})
	if err := r.Start(); err != nil {
		return err
	}
	m, err := process.NewManager(process.Config{
		Reaper:    r,
		Workdir:   opts.workdir,
		Env:       os.Environ(),
		RingBytes: opts.ringBytes,
		Logger:    log,
	})
	if err != nil {
		return err
	}
	pm, err := ptys.NewManager(ptys.Config{Reaper: r, Launcher: m, Logger: log})
	if err != nil {
		return err
	}
	errc := make(chan error, 4)
	var endpoint *socketEndpoint
	handlerConfig := server.Config{Manager: m, Ptys: pm, Token: token, Version: version, Logger: log}
	if opts.socket != "" {
		// The endpoint needs the handler and the handler its Detach: bound late.
		handlerConfig.Detach = func() { endpoint.detach() }
		handlerConfig.CanDetach = func() error { return detachRefusal(opts.socket) }
	}
	handler, err := server.New(handlerConfig)
	if err != nil {
		return err
	}
	if opts.socket != "" {
		endpoint = newSocketEndpoint(opts.socket, handler, version, log, errc)
		if err := endpoint.open(); err != nil {
			return err
		}
	}
	var servers []*http.Server
	if opts.listen != "" {
		srv, err := serveTCP(opts.listen, handler, log, errc)
		if err != nil {
			endpoint.shutdownIfOpen()
			return err
		}
		servers = append(servers, srv)
	}
	log.Info("ready", "version", version, "pid", os.Getpid())

	mainProc := startMain(m, opts.command, log)
	for {
		select {
		case sig := <-stop:
			log.Info("received signal", "signal", sig.String())
			shutdown(m, pm, endpoint, servers, opts.shutdownGrace, stop, log)
			return nil
		case sig := <-forward:
			forwardSignal(mainProc, sig.(syscall.Signal), log)
		case err := <-errc:
			shutdown(m, pm, endpoint, servers, 0, nil, log)
			return err
		}
	}
}

// serveTCP serves the API on --listen as well (inside the sandbox only).
func serveTCP(listen string, handler http.Handler, log *slog.Logger, errc chan<- error) (*http.Server, error) {
	ln, err := listenTCP(listen)
	if err != nil {
		return nil, err
	}
	return serveHTTP(ln, handler, log, errc), nil
}

// serveHTTP serves handler on ln in the background; a failure other than
// closing the server goes to errc.
func serveHTTP(ln net.Listener, handler http.Handler, log *slog.Logger, errc chan<- error) *http.Server {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve %s: %w", ln.Addr(), err)
		}
	}()
	log.Info("listening", "addr", ln.Addr().String())
	return srv
}

// startMain runs the image's own command, if any, as a process tagged
// "main". Failing to start it is logged; the agent keeps serving.
func startMain(m *process.Manager, command []string, log *slog.Logger) *process.Process {
	if len(command) == 0 {
		return nil
	}
	p, err := m.Start(process.Spec{Cmd: command[0], Args: command[1:], Tag: "main"}, process.StartOptions{})
	if err != nil {
		log.Error("main command did not start", "cmd", command, "err", err)
		return nil
	}
	log.Info("main command started", "pid", p.Pid(), "cmd", command)
	go func() {
		<-p.Done()
		info := p.Info()
		log.Info("main command exited", "pid", p.Pid(), "exit_code", *info.ExitCode)
	}()
	return p
}

// forwardSignal passes a signal the agent received on to the main
// command's process group; without a main command it is ignored.
func forwardSignal(main *process.Process, sig syscall.Signal, log *slog.Logger) {
	if main == nil {
		log.Info("ignoring signal: no main command", "signal", sig.String())
		return
	}
	if err := main.Signal(sig); err != nil {
		log.Warn("forward signal", "signal", sig.String(), "err", err)
	}
}
