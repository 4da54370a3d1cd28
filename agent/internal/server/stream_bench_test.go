package server

import (
	"io"
	"net/http"
	"testing"
)

// streamBytes is what each run of the streaming benchmarks writes.
const streamBytes = 64 << 20

// BenchmarkStreamEvents measures `yes | head -c 64MiB` through the event
// route (start with await_follower, then GET .../events read to the end):
// the path the server's SSE stream takes. Run with -cpuprofile to see
// where the agent's time goes.
func BenchmarkStreamEvents(b *testing.B) {
	a := startAgent(b, agentOpts{})
	body := map[string]any{"cmd": "sh", "args": []string{"-c", "yes | head -c 67108864"}}
	b.SetBytes(streamBytes)
	for i := 0; i < b.N; i++ {
		var created struct{ Pid int }
		a.call("POST", "/v1/processes?await_follower=1", body, http.StatusCreated, &created)
		resp := a.do("GET", "/v1/processes/"+itoa(created.Pid)+"/events", nil)
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n < streamBytes {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}

// BenchmarkStreamRaw is BenchmarkStreamEvents through POST /v1/processes/raw.
func BenchmarkStreamRaw(b *testing.B) {
	a := startAgent(b, agentOpts{})
	body := map[string]any{"cmd": "sh", "args": []string{"-c", "yes | head -c 67108864"}}
	b.SetBytes(streamBytes)
	for i := 0; i < b.N; i++ {
		resp := a.do("POST", "/v1/processes/raw", body)
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != streamBytes || resp.Trailer.Get("X-Exit-Code") != "0" {
			b.Fatalf("read %d bytes, trailers %v: %v", n, resp.Trailer, err)
		}
	}
}
