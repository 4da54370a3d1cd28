package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/ptys"
)

// createPty starts a PTY (sh with a plain prompt unless body says
// otherwise) and returns its id and pid.
func (a *agent) createPty(body map[string]any) (string, int) {
	a.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	for k, v := range map[string]any{"cols": 80, "rows": 24, "shell": "/bin/sh", "env": map[string]string{"PS1": "$ "}} {
		if _, ok := body[k]; !ok {
			body[k] = v
		}
	}
	var created struct {
		PtyID string `json:"pty_id"`
		Pid   int
	}
	a.call("POST", "/v1/ptys", body, http.StatusCreated, &created)
	if created.PtyID == "" || created.Pid <= 0 {
		a.t.Fatalf("created %+v", created)
	}
	return created.PtyID, created.Pid
}

func (a *agent) ptyInfo(id string) ptys.Info {
	a.t.Helper()
	var list struct{ Ptys []ptys.Info }
	a.call("GET", "/v1/ptys", nil, http.StatusOK, &list)
	for _, info := range list.Ptys {
		if info.ID == id {
			return info
		}
	}
	a.t.Fatalf("pty %s not listed: %+v", id, list.Ptys)
	return ptys.Info{}
}

// ptyClient is one attached connection, speaking the frames raw.
type ptyClient struct {
	t      testing.TB
	conn   net.Conn
	r      *bufio.Reader
	offset int64        // where the replay started
	out    bytes.Buffer // data received
	code   *int         // from the exit frame
}

// dialAttach sends the upgrade request and returns the response and the
// connection, positioned after the response head.
func (a *agent) dialAttach(path string, header http.Header) (*http.Response, net.Conn, *bufio.Reader) {
	a.t.Helper()
	conn, err := net.Dial("unix", a.sock)
	if err != nil {
		a.t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://agent"+path, nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	for k, v := range header {
		req.Header[k] = v
	}
	if err := req.Write(conn); err != nil {
		a.t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, req)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp, conn, r
}

var upgradeHeader = http.Header{"Connection": {"Upgrade"}, "Upgrade": {"wm-pty"}}

// attach attaches to a PTY (after < 0: no after parameter) and reads the
// offset frame.
func (a *agent) attach(id string, after int64) *ptyClient {
	a.t.Helper()
	path := "/v1/ptys/" + id + "/attach"
	if after >= 0 {
		path += "?after=" + strconv.FormatInt(after, 10)
	}
	resp, conn, r := a.dialAttach(path, upgradeHeader)
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "wm-pty") {
		raw, _ := io.ReadAll(resp.Body)
		a.t.Fatalf("attach %s: status %d %s", id, resp.StatusCode, raw)
	}
	c := &ptyClient{t: a.t, conn: conn, r: r}
	a.t.Cleanup(func() { conn.Close() })
	typ, payload := c.frame(5 * time.Second)
	if typ != frameOffset {
		a.t.Fatalf("first frame type %d, want offset", typ)
	}
	var off struct{ Offset *int64 }
	if err := json.Unmarshal(payload, &off); err != nil || off.Offset == nil {
		a.t.Fatalf("offset frame %q: %v", payload, err)
	}
	c.offset = *off.Offset
	return c
}

// frame reads one frame within d.
func (c *ptyClient) frame(d time.Duration) (byte, []byte) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	typ, payload, err := readFrame(c.r, nil)
	if err != nil {
		c.t.Fatalf("read frame: %v (received so far %q)", err, tail(c.out.String()))
	}
	return typ, payload
}

func (c *ptyClient) send(typ byte, payload []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(appendFrame(nil, typ, payload)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *ptyClient) input(s string) { c.t.Helper(); c.send(frameData, []byte(s)) }

func (c *ptyClient) resize(cols, rows int) {
	c.t.Helper()
	c.send(frameResize, mustJSON(map[string]int{"cols": cols, "rows": rows}))
}

// readUntil reads data frames until the output received contains want,
// and returns everything received.
func (c *ptyClient) readUntil(want string, d time.Duration) string {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(c.out.String(), want) {
		typ, payload := c.frame(time.Until(deadline))
		switch typ {
		case frameData:
			c.out.Write(payload)
		case frameExit:
			c.t.Fatalf("exit frame %s while waiting for %q; got %q", payload, want, tail(c.out.String()))
		default:
			c.t.Fatalf("unexpected frame type %d", typ)
		}
	}
	return c.out.String()
}

// waitExit reads until the exit frame, returns its code and checks that
// the agent then closes the connection.
func (c *ptyClient) waitExit(d time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for c.code == nil {
		typ, payload := c.frame(time.Until(deadline))
		switch typ {
		case frameData:
			c.out.Write(payload)
		case frameExit:
			var exit struct{ Code *int }
			if err := json.Unmarshal(payload, &exit); err != nil || exit.Code == nil {
				c.t.Fatalf("exit frame %q: %v", payload, err)
			}
			c.code = exit.Code
		default:
			c.t.Fatalf("unexpected frame type %d", typ)
		}
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if n, err := c.r.Read(make([]byte, 1)); err != io.EOF {
		c.t.Fatalf("after the exit frame: read %d, %v; want EOF", n, err)
	}
	return *c.code
}

// expectClosed checks that the agent closed the connection (after any
// frames already sent).
func (c *ptyClient) expectClosed(d time.Duration) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	for {
		if _, _, err := readFrame(c.r, nil); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatal("connection still open")
			}
			return
		}
	}
}

func tail(s string) string {
	if len(s) > 300 {
		return "..." + s[len(s)-300:]
	}
	return s
}

// sessionOf reads the session id and process group of pid from /proc.
func sessionOf(t testing.TB, pid int) (sid, pgid int, ok bool) {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if fields[0] == "Z" {
		return 0, 0, false
	}
	pgid, _ = strconv.Atoi(fields[2])
	sid, _ = strconv.Atoi(fields[3])
	return sid, pgid, true
}

func alive(t testing.TB, pid int) bool {
	_, _, ok := sessionOf(t, pid)
	return ok
}

func waitDead(t testing.TB, pid int, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !alive(t, pid) {
			return
		}
	}
	t.Fatalf("pid %d still alive after %v", pid, d)
}

func jsonDecode(resp *http.Response, v any) error {
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// reportingTB lets a helper written for the test goroutine run in another
// one: failures are sent to errs, and a fatal one ends the goroutine by a
// panic that recoverFatal (deferred) absorbs.
type reportingTB struct {
	testing.TB
	errs   chan<- string
	prefix string
}

type fatalFailure struct{}

func (r *reportingTB) Helper() {}

func (r *reportingTB) Errorf(format string, args ...any) {
	r.errs <- r.prefix + fmt.Sprintf(format, args...)
}

func (r *reportingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatalFailure{})
}

func (r *reportingTB) Fatal(args ...any) {
	r.errs <- r.prefix + fmt.Sprint(args...)
	panic(fatalFailure{})
}

func (r *reportingTB) recoverFatal() {
	if v := recover(); v != nil {
		if _, ok := v.(fatalFailure); !ok {
			panic(v)
		}
	}
}
