package ptys

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		state   byte
		session int
		bad     bool
	}{
		{"plain", "42 (bash) S 1 42 42 34816 42 4194560 ...", 'S', 42, false},
		{"spaces and parens in the name", "77 (a ) b (c) R 42 77 42 0", 'R', 42, false},
		{"zombie", "9 (sleep) Z 1 9 5 0", 'Z', 5, false},
		{"no name", "9 sleep S 1 9 5", 0, 0, true},
		{"truncated", "9 (sleep) S 1", 0, 0, true},
		{"not a number", "9 (sleep) S 1 9 x 0", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, sid, err := parseStat([]byte(tt.stat))
			if tt.bad {
				if err == nil {
					t.Fatalf("parsed %q", tt.stat)
				}
				return
			}
			if err != nil || state != tt.state || sid != tt.session {
				t.Fatalf("got %c %d %v, want %c %d", state, sid, err, tt.state, tt.session)
			}
		})
	}
}

func TestSessionMembersFindsThisProcess(t *testing.T) {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc")
	}
	_, sid, err := parseStat(raw)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := sessionMembers(sid)
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if pid == os.Getpid() {
			return
		}
	}
	t.Fatalf("pid %d not among the members of session %d: %v", os.Getpid(), sid, pids)
}
