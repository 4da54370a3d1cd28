package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// resumePollInterval is how often a detached agent looks for the resume file.
const resumePollInterval = 25 * time.Millisecond

// socketEndpoint serves the API on the unix socket and can let go of it
// and take it again. Letting go is what makes a process checkpoint under
// gVisor possible: runsc cannot save a sandbox that holds a host socket
// (the socket is one, with --host-uds=create), so before a checkpoint the
// agent closes its listener and every connection, says so with the file
// `detached` beside the socket, and waits for the file `resume`; the server
// writes that file into the (restored or same) container's run directory,
// and the agent listens again and writes `ready`. Processes and PTYs run
// on meanwhile; only their clients' connections drop (they re-attach).
type socketEndpoint struct {
	path    string
	handler http.Handler
	version string
	log     *slog.Logger
	errc    chan<- error

	mu       sync.Mutex
	srv      *http.Server
	conns    map[net.Conn]struct{}
	detached bool
	closed   bool
}

func newSocketEndpoint(path string, handler http.Handler, version string, log *slog.Logger, errc chan<- error) *socketEndpoint {
	return &socketEndpoint{path: path, handler: handler, version: version, log: log, errc: errc, conns: map[net.Conn]struct{}{}}
}

func (e *socketEndpoint) readyFile() string { return readyPath(e.path) }
func (e *socketEndpoint) detachedFile() string {
	return filepath.Join(filepath.Dir(e.path), "detached")
}
func (e *socketEndpoint) resumeFile() string { return filepath.Join(filepath.Dir(e.path), "resume") }

// open listens on the socket, serves and writes the ready file.
func (e *socketEndpoint) open() error {
	for _, stale := range []string{e.readyFile(), e.detachedFile()} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", filepath.Base(stale), err)
		}
	}
	ln, err := listenUnix(e.path)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.srv = serveHTTP(&trackingListener{Listener: ln, endpoint: e}, e.handler, e.log, e.errc)
	e.detached = false
	e.mu.Unlock()
	return writeReady(e.readyFile(), e.version)
}

// detach closes the listener and every connection (hijacked ones too),
// writes `detached`, then waits for `resume` in the background.
func (e *socketEndpoint) detach() {
	e.mu.Lock()
	if e.detached || e.closed {
		e.mu.Unlock()
		return
	}
	e.detached = true
	srv := e.srv
	conns := make([]net.Conn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	_ = os.Remove(e.readyFile())
	// A resume file from an earlier round would end this one at once.
	_ = os.Remove(e.resumeFile())
	_ = srv.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	if err := os.WriteFile(e.detachedFile(), []byte(e.version), 0o644); err != nil {
		e.log.Error("could not write the detached file", "err", err)
	}
	e.log.Info("detached from the socket; waiting for the resume file", "connections", len(conns))
	go e.awaitResume()
}

func (e *socketEndpoint) awaitResume() {
	for {
		time.Sleep(resumePollInterval)
		if _, err := os.Stat(e.resumeFile()); err != nil {
			continue
		}
		e.mu.Lock()
		closed := e.closed
		e.mu.Unlock()
		if closed {
			return
		}
		_ = os.Remove(e.resumeFile())
		if err := e.open(); err != nil {
			e.errc <- fmt.Errorf("resume: %w", err)
			return
		}
		e.log.Info("resumed on the socket")
		return
	}
}

// shutdown stops serving for good.
func (e *socketEndpoint) shutdown(ctx context.Context) {
	e.mu.Lock()
	e.closed = true
	srv := e.srv
	e.mu.Unlock()
	if srv != nil {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	}
	_ = os.Remove(e.readyFile())
}

func (e *socketEndpoint) track(c net.Conn, open bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if open {
		e.conns[c] = struct{}{}
	} else {
		delete(e.conns, c)
	}
}

// trackingListener records every accepted connection until it closes, so
// that detach can close hijacked ones (PTY attach, port connect), which
// http.Server no longer tracks.
type trackingListener struct {
	net.Listener
	endpoint *socketEndpoint
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, endpoint: l.endpoint}
	l.endpoint.track(tc, true)
	return tc, nil
}

type trackedConn struct {
	net.Conn
	endpoint *socketEndpoint
	once     sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.endpoint.track(c, false) })
	return c.Conn.Close()
}

// shutdownIfOpen is shutdown for a start-up that failed after the socket
// opened; nil-safe.
func (e *socketEndpoint) shutdownIfOpen() {
	if e == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	e.shutdown(ctx)
}

// CloseWrite half-closes the wrapped connection: the PTY exit frame and the
// port streams rely on it, and embedding net.Conn alone would hide it.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("this connection cannot be half-closed")
}
