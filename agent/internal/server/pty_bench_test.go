package server

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkPtyEcho measures keystroke echo through the agent: a client
// attached over a real unix socket sends one byte in a data frame to `cat`
// running on a raw, non-echoing terminal (so the echo is cat's, through a
// process, as with a line editor), and waits for the data frame carrying
// it back. It reports the median and 99th percentile round trip.
func BenchmarkPtyEcho(b *testing.B) {
	a := startAgent(b, agentOpts{})
	id, _ := a.createPty(map[string]any{
		"shell": "/bin/sh",
		"args":  []string{"-c", "stty raw -echo && echo READY && exec cat"},
	})
	c := a.attach(id, -1)
	c.readUntil("READY", 5*time.Second)
	_ = c.conn.SetReadDeadline(time.Time{})
	frame := appendFrame(nil, frameData, []byte{0})
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := byte('a' + i%26)
		frame[len(frame)-1] = key
		began := time.Now()
		if _, err := c.conn.Write(frame); err != nil {
			b.Fatal(err)
		}
		for got := false; !got; {
			typ, payload, err := readFrame(c.r, nil)
			if err != nil {
				b.Fatal(err)
			}
			if typ != frameData {
				b.Fatalf("frame type %d", typ)
			}
			for _, ch := range payload {
				got = got || ch == key
			}
		}
		lat = append(lat, time.Since(began))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
