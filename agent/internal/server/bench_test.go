package server

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

func readRun(resp *http.Response) runResponse {
	var rr runResponse
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &rr)
	return rr
}

// BenchmarkRunEcho measures POST /v1/processes/run {"cmd":"echo","args":["hi"]}
// end to end: HTTP over a real unix socket, the real handler, fork/exec,
// reaping and the JSON reply.
func BenchmarkRunEcho(b *testing.B) {
	a := startAgent(b, agentOpts{})
	body := map[string]any{"cmd": "echo", "args": []string{"hi"}}
	a.run(body) // warm the connection
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := a.client.Do(a.request("POST", "/v1/processes/run", body))
		if err != nil {
			b.Fatal(err)
		}
		rr := readRun(resp)
		resp.Body.Close()
		if rr.Stdout != "hi\n" {
			b.Fatalf("stdout %q", rr.Stdout)
		}
	}
}
