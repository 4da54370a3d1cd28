package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func threadCount(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

func TestPrewarmThreadsLeavesThemIdleForLater(t *testing.T) {
	prewarmThreads(spareThreads)
	if n := threadCount(t); n < spareThreads {
		t.Fatalf("%d threads after prewarming %d", n, spareThreads)
	}
}
