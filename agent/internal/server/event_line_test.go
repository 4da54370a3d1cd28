package server

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"github.com/workspace-manager/agent/internal/process"
)

// The hand-written lines must read back exactly as encoding/json's do.
func TestEventLinesReadBackAsEncodingJSON(t *testing.T) {
	samples := []string{
		"hi\n", strings.Repeat("y\n", 5000), `a "quoted" \ word`, "tab\tcr\r nul\x00 bell\x07 del\x7f",
		"ünïcödé ✓ 𝄞", "\u2028\u2029", "bad \xff\xfe utf8 \xe2\x82", "<html>&amp;</html>", `"}`,
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		raw := make([]byte, rng.Intn(64)+1)
		for j := range raw {
			raw[j] = byte(rng.Intn(256))
		}
		samples = append(samples, string(raw))
	}
	code := 3
	others := []process.Event{
		{Seq: 1, Type: process.EventStart, Pid: 42},
		{Seq: 7, Type: process.EventStdout, Data: "x", Dropped: 10},
		{Seq: 8, Type: process.EventExit, Code: &code},
	}
	lines := newEventLines()
	var want []process.Event
	for i, data := range samples {
		typ := process.EventStdout
		if i%2 == 1 {
			typ = process.EventStderr
		}
		ev := process.Event{Seq: int64(i + 10), Type: typ, Data: data}
		want = append(want, ev)
		if err := lines.add(&ev); err != nil {
			t.Fatal(err)
		}
	}
	for i := range others {
		want = append(want, others[i])
		if err := lines.add(&others[i]); err != nil {
			t.Fatal(err)
		}
	}
	got := bytes.Split(bytes.TrimSuffix(lines.take(), []byte("\n")), []byte("\n"))
	if len(got) != len(want) {
		t.Fatalf("%d lines for %d events", len(got), len(want))
	}
	for i, line := range got {
		var back, ref process.Event
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", i, err, line)
		}
		encoded, _ := json.Marshal(want[i])
		_ = json.Unmarshal(encoded, &ref)
		if back.Seq != ref.Seq || back.Type != ref.Type || back.Data != ref.Data || back.Dropped != ref.Dropped || back.Pid != ref.Pid {
			t.Fatalf("line %d reads back as %+v, encoding/json's as %+v", i, back, ref)
		}
		if plainOutput(&want[i]) && !bytes.HasPrefix(line, []byte(`{"seq":`)) {
			t.Fatalf("line %d does not start with seq: %q", i, line)
		}
	}
}
