package server

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var tcpUpgrade = http.Header{"Connection": {"Upgrade"}, "Upgrade": {"wm-tcp"}}

// listenLoopback starts a TCP listener on 127.0.0.1 running serve for each
// connection, and returns its port.
func listenLoopback(t *testing.T, network, addr string, serve func(net.Conn)) int {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// echo copies what it reads back, then half-closes when the client does.
func echo(c net.Conn) {
	defer c.Close()
	_, _ = io.Copy(c, c)
	_ = c.(*net.TCPConn).CloseWrite()
}

// freePort is a loopback port nothing listens on (it was just released).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// connect opens a wm-tcp stream to port and checks the 101.
func (a *agent) connect(port int) (net.Conn, *bufio.Reader) {
	a.t.Helper()
	resp, conn, r := a.dialAttach("/v1/ports/"+strconv.Itoa(port)+"/connect", tcpUpgrade)
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "wm-tcp") {
		raw, _ := io.ReadAll(resp.Body)
		a.t.Fatalf("connect %d: status %d %s", port, resp.StatusCode, raw)
	}
	a.t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	return conn, r
}

// connectError sends the upgrade request and returns the status and error body.
func (a *agent) connectError(path string, header http.Header) (int, errorBody) {
	a.t.Helper()
	resp, conn, _ := a.dialAttach(path, header)
	defer conn.Close()
	var eb errorBody
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &eb); err != nil {
		a.t.Fatalf("%s: status %d, body %q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, eb
}

func TestPortConnectEchoesBytesBothWays(t *testing.T) {
	a := startAgent(t, agentOpts{})
	port := listenLoopback(t, "tcp", "127.0.0.1:0", echo)
	conn, r := a.connect(port)

	// 4 MiB of random bytes through, written while the echo is read back.
	data := make([]byte, 4<<20)
	_, _ = rand.Read(data)
	go func() {
		_, _ = conn.Write(data)
		_ = conn.(*net.UnixConn).CloseWrite()
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("echoed %d bytes, sent %d; contents differ", len(got), len(data))
	}
}

func TestPortConnectHalfClose(t *testing.T) {
	a := startAgent(t, agentOpts{})

	t.Run("client ends first, service still answers", func(t *testing.T) {
		// The service reads to EOF, then answers with what it counted.
		port := listenLoopback(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
			defer c.Close()
			n, _ := io.Copy(io.Discard, c)
			_, _ = io.WriteString(c, "read "+strconv.FormatInt(n, 10))
		})
		conn, r := a.connect(port)
		_, _ = io.WriteString(conn, "hello world")
		if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != "read 11" {
			t.Fatalf("got %q, %v", got, err)
		}
	})

	t.Run("service ends first, client still sends", func(t *testing.T) {
		// The service greets and closes its write half, then reads to EOF
		// and reports what it got on a side channel.
		received := make(chan string, 1)
		port := listenLoopback(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
			defer c.Close()
			_, _ = io.WriteString(c, "bye")
			_ = c.(*net.TCPConn).CloseWrite()
			b, _ := io.ReadAll(c)
			received <- string(b)
		})
		conn, r := a.connect(port)
		got, err := io.ReadAll(r) // ends: the service half-closed
		if err != nil || string(got) != "bye" {
			t.Fatalf("got %q, %v", got, err)
		}
		_, _ = io.WriteString(conn, "still here")
		_ = conn.(*net.UnixConn).CloseWrite()
		select {
		case s := <-received:
			if s != "still here" {
				t.Fatalf("service received %q", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the service never saw the client's bytes and EOF")
		}
	})
}

func TestPortConnectSendsBytesPipelinedAfterTheHead(t *testing.T) {
	a := startAgent(t, agentOpts{})
	port := listenLoopback(t, "tcp", "127.0.0.1:0", echo)
	conn, err := net.Dial("unix", a.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The request head and the first bytes of the stream in one write.
	head := "GET /v1/ports/" + strconv.Itoa(port) + "/connect HTTP/1.1\r\nHost: agent\r\n" +
		"Authorization: Bearer " + a.token + "\r\nConnection: Upgrade\r\nUpgrade: wm-tcp\r\n\r\n"
	if _, err := io.WriteString(conn, head+"early bytes"); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.UnixConn).CloseWrite()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	all, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	if !ok || !bytes.HasPrefix(all, []byte("HTTP/1.1 101 ")) || string(body) != "early bytes" {
		t.Fatalf("got %q", all)
	}
}

func TestPortConnectIPv6Only(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	ln.Close()
	a := startAgent(t, agentOpts{})
	port := listenLoopback(t, "tcp6", "[::1]:0", echo)
	conn, r := a.connect(port)
	_, _ = io.WriteString(conn, "v6")
	_ = conn.(*net.UnixConn).CloseWrite()
	if got, _ := io.ReadAll(r); string(got) != "v6" {
		t.Fatalf("got %q", got)
	}
}

func TestPortConnectNothingListening(t *testing.T) {
	a := startAgent(t, agentOpts{})
	port := freePort(t)
	status, eb := a.connectError("/v1/ports/"+strconv.Itoa(port)+"/connect", tcpUpgrade)
	if status != http.StatusBadGateway || eb.Error.Code != codePortUnreachable ||
		!strings.Contains(eb.Error.Message, "nothing listens on port "+strconv.Itoa(port)) {
		t.Fatalf("status %d, %+v", status, eb)
	}
}

func TestPortConnectValidation(t *testing.T) {
	a := startAgent(t, agentOpts{})
	for _, port := range []string{"0", "65536", "99999", "-1", "+80", "8o", "123456", "1e3"} {
		status, eb := a.connectError("/v1/ports/"+port+"/connect", tcpUpgrade)
		if status != http.StatusBadRequest || eb.Error.Code != codeValidation {
			t.Errorf("port %q: status %d, %+v", port, status, eb)
		}
	}
	// Without the upgrade headers, even to a listening port.
	port := listenLoopback(t, "tcp", "127.0.0.1:0", echo)
	for _, h := range []http.Header{nil, {"Connection": {"Upgrade"}, "Upgrade": {"wm-pty"}}} {
		status, eb := a.connectError("/v1/ports/"+strconv.Itoa(port)+"/connect", h)
		if status != http.StatusBadRequest || eb.Error.Code != codeValidation {
			t.Errorf("headers %v: status %d, %+v", h, status, eb)
		}
	}
	// Other methods are unknown routes; no token is 401.
	a.expectError("POST", "/v1/ports/"+strconv.Itoa(port)+"/connect", nil, http.StatusNotFound, codeNotFound)
	req := a.request("GET", "/v1/ports/"+strconv.Itoa(port)+"/connect", nil)
	req.Header.Del("Authorization")
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
}

func TestPortConnectsAreIndependent(t *testing.T) {
	a := startAgent(t, agentOpts{})
	port := listenLoopback(t, "tcp", "127.0.0.1:0", echo)
	type stream struct {
		conn net.Conn
		r    *bufio.Reader
	}
	var streams []stream
	for i := 0; i < 8; i++ {
		c, r := a.connect(port)
		streams = append(streams, stream{c, r})
	}
	for i, s := range streams {
		msg := "stream " + strconv.Itoa(i) + "\n"
		_, _ = io.WriteString(s.conn, msg)
		line, err := s.r.ReadString('\n')
		if err != nil || line != msg {
			t.Fatalf("stream %d: %q, %v", i, line, err)
		}
	}
	// Closing one stream leaves the others working.
	streams[0].conn.Close()
	_, _ = io.WriteString(streams[1].conn, "again\n")
	if line, err := streams[1].r.ReadString('\n'); err != nil || line != "again\n" {
		t.Fatalf("%q, %v", line, err)
	}
}

func TestPortConnectClosesUpstreamWhenClientGoes(t *testing.T) {
	a := startAgent(t, agentOpts{})
	closed := make(chan struct{})
	port := listenLoopback(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		_, _ = io.Copy(io.Discard, c)
		close(closed)
	})
	conn, _ := a.connect(port)
	_, _ = io.WriteString(conn, "x")
	conn.Close()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the service's connection stayed open after the client closed")
	}
}
