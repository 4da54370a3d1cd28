package server

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/workspace-manager/agent/internal/process"
)

// slowReader hands out at most chunk bytes per Read and sleeps pause
// before each: a client that reads more slowly than the process writes.
type slowReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
}

func (s slowReader) Read(b []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(b[:min(len(b), s.chunk)])
}

// writeBase64File writes n bytes of base64 text (76-character lines) made
// from seeded random bytes and returns its path and SHA-256.
func writeBase64File(t *testing.T, n int) (string, [32]byte) {
	t.Helper()
	raw := make([]byte, n/4*3)
	rand.New(rand.NewSource(1)).Read(raw)
	enc := []byte(base64.StdEncoding.EncodeToString(raw))
	out := make([]byte, 0, n+n/76+1)
	for len(enc) > 0 && len(out) < n {
		line := enc[:min(76, len(enc))]
		enc = enc[len(line):]
		out = append(out, line...)
		out = append(out, '\n')
	}
	out = out[:n]
	path := filepath.Join(t.TempDir(), "data.b64")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, sha256.Sum256(out)
}

// The reported bug: 50 MB followed live arrived as ~2 MB with the rest
// dropped. A live follower now slows the writer down instead.
func TestSlowLiveFollowerReceivesEverything(t *testing.T) {
	const size = 50_000_000
	a := startAgent(t, agentOpts{})
	path, want := writeBase64File(t, size)
	pid := a.start(map[string]any{"cmd": "sh", "args": []string{"-c", "sleep 0.2; exec cat " + path}})
	resp := a.do("GET", "/v1/processes/"+itoa(pid)+"/events", nil)
	defer resp.Body.Close()

	dec := json.NewDecoder(bufio.NewReaderSize(slowReader{resp.Body, 16 << 10, 200 * time.Microsecond}, 64<<10))
	sum := sha256.New()
	var got int
	var last process.Event
	for {
		var ev process.Event
		if err := dec.Decode(&ev); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("after %d bytes: %v", got, err)
		}
		if ev.Dropped != 0 {
			t.Fatalf("event %d: %d bytes dropped", ev.Seq, ev.Dropped)
		}
		if ev.Type == process.EventStdout {
			got += len(ev.Data)
			sum.Write([]byte(ev.Data))
		}
		last = ev
	}
	if last.Type != process.EventExit || *last.Code != 0 {
		t.Fatalf("last event %+v", last)
	}
	if got != size {
		t.Fatalf("received %d bytes, want %d", got, size)
	}
	if [32]byte(sum.Sum(nil)) != want {
		t.Fatal("received the right number of bytes but a different checksum")
	}
}

func TestStalledFollowerIsDisconnected(t *testing.T) {
	const timeout = 300 * time.Millisecond
	a := startAgent(t, agentOpts{ringBytes: 64 << 10, followerTimeout: timeout})
	began := time.Now()
	// 20 MB: far more than the ring, the pipe and the socket buffers hold.
	pid := a.start(map[string]any{"cmd": "sh", "args": []string{"-c", "head -c 20000000 /dev/zero | tr '\\0' x"}})
	resp := a.do("GET", "/v1/processes/"+itoa(pid)+"/events", nil)
	defer resp.Body.Close()
	// The client reads nothing; the process is held back, then goes on.
	info := a.waitExitedWithin(pid, 10*time.Second)
	took := time.Since(began)
	if *info.ExitCode != 0 {
		t.Fatalf("info %+v", info)
	}
	if took < timeout {
		t.Fatalf("exited after %v: the follower never held it back", took)
	}
	// What the socket held arrives, then the stream breaks off without an
	// exit event.
	raw, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("stream ended cleanly after %d bytes; want it cut off", len(raw))
	}
	if len(raw) >= 20_000_000 {
		t.Fatalf("read %d bytes: everything arrived", len(raw))
	}
	// Its output was dropped from the ring meanwhile, and said so.
	after := a.do("GET", "/v1/processes/"+itoa(pid)+"/events", nil)
	evs := readEvents(t, after.Body)
	after.Body.Close()
	if evs[1].Dropped == 0 || evs[1].Dropped+int64(len(stdoutText(evs))) != 20_000_000 {
		t.Fatalf("replay: dropped %d, kept %d", evs[1].Dropped, len(stdoutText(evs)))
	}
}

func TestNoFollowerDropsAndReports(t *testing.T) {
	a := startAgent(t, agentOpts{ringBytes: 64 << 10})
	began := time.Now()
	pid := a.start(map[string]any{"cmd": "sh", "args": []string{"-c", "head -c 5000000 /dev/zero | tr '\\0' x"}})
	a.waitExitedWithin(pid, 10*time.Second)
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("took %v with no follower", took)
	}
	resp := a.do("GET", "/v1/processes/"+itoa(pid)+"/events", nil)
	evs := readEvents(t, resp.Body)
	resp.Body.Close()
	kept := int64(len(stdoutText(evs)))
	if evs[1].Dropped == 0 || evs[1].Dropped+kept != 5_000_000 || kept > 64<<10 {
		t.Fatalf("dropped %d, kept %d", evs[1].Dropped, kept)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
