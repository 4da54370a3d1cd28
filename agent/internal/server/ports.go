package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// portDialTimeout bounds one dial of a loopback port. Loopback answers at
// once (a listener or a refusal); the bound only matters for a listener
// whose accept queue is full.
const portDialTimeout = 5 * time.Second

// loopbackHosts are the only addresses connectPort ever dials, in order.
var loopbackHosts = []string{"127.0.0.1", "::1"}

// parsePort reads a {port} path segment: decimal digits only, 1–65535.
func parsePort(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, validationError("port must be an integer from 1 to 65535")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, validationError("port must be an integer from 1 to 65535")
		}
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, validationError("port must be an integer from 1 to 65535")
	}
	return n, nil
}

// dialLoopback connects to port on 127.0.0.1, then on [::1] if that fails
// (a service listening on IPv6 only). It never dials anything else.
func dialLoopback(port int) (net.Conn, error) {
	var first error
	for _, host := range loopbackHosts {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), portDialTimeout)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// connectPort upgrades the connection (Upgrade: wm-tcp) into a raw TCP
// stream to a port on the sandbox's loopback interface, so the server can
// reach services inside a sandbox that has no network.
func (s *Server) connectPort(w http.ResponseWriter, r *http.Request) {
	port, err := parsePort(r.PathValue("port"))
	if err != nil {
		writeError(w, err)
		return
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "wm-tcp") {
		writeError(w, validationError("this route needs Connection: Upgrade and Upgrade: wm-tcp"))
		return
	}
	upstream, err := dialLoopback(port)
	if err != nil {
		s.log.Debug("port connect failed", "port", port, "err", err)
		writeError(w, apiError{http.StatusBadGateway, codePortUnreachable,
			fmt.Sprintf("nothing listens on port %d in the sandbox (%v)", port, unwrapDialError(err))})
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		writeError(w, err)
		return
	}
	// The server's header deadline must not cut a long-lived stream.
	_ = conn.SetDeadline(time.Time{})
	if _, err := conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: wm-tcp\r\n\r\n")); err != nil {
		upstream.Close()
		conn.Close()
		return
	}
	s.log.Debug("port connected", "port", port)
	splice(conn, brw.Reader, upstream)
}

// unwrapDialError drops the "dial tcp 127.0.0.1:N:" prefix, which the
// message already says in words.
func unwrapDialError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// closeWriter is a connection that can be half-closed (TCP and unix).
type closeWriter interface {
	CloseWrite() error
}

// splice copies bytes both ways between the client (read through in, which
// holds whatever the client sent after the request head) and upstream. When
// one side ends its stream, the other side's write half is closed and the
// opposite direction carries on; both connections are closed when both
// directions are done, or at once when either fails.
func splice(client net.Conn, in *bufio.Reader, upstream net.Conn) {
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			client.Close()
			upstream.Close()
		})
	}
	done := make(chan struct{}, 2)
	pump := func(dst net.Conn, src io.Reader) {
		defer func() { done <- struct{}{} }()
		if _, err := io.Copy(dst, src); err != nil {
			closeBoth() // a reset or a write to a closed peer: tear both down
			return
		}
		// A clean end of stream: pass the half-close on.
		if cw, ok := dst.(closeWriter); ok {
			if cw.CloseWrite() == nil {
				return
			}
		}
		closeBoth()
	}
	go pump(upstream, in)
	go pump(client, upstream)
	<-done
	<-done
	closeBoth()
}
