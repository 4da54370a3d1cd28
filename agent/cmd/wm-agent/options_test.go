package main

import (
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(options) bool
	}{
		{"defaults", nil, false, func(o options) bool {
			return o.socket == "/run/wm/agent.sock" && o.workdir == "/workspace" && o.ringBytes == 1<<20 &&
				o.shutdownGrace == 10*time.Second && o.listen == "" && len(o.command) == 0
		}},
		{"main command after --", []string{"--workdir", "/w", "--", "nginx", "-g", "daemon off;"}, false, func(o options) bool {
			return o.workdir == "/w" && slices.Equal(o.command, []string{"nginx", "-g", "daemon off;"})
		}},
		{"tcp listen", []string{"--listen", "tcp://127.0.0.1:7070"}, false, func(o options) bool {
			return o.listen == "tcp://127.0.0.1:7070"
		}},
		{"tcp only", []string{"--socket", "", "--listen", "tcp://0.0.0.0:7070"}, false, nil},
		{"nothing to serve", []string{"--socket", ""}, true, nil},
		{"listen without scheme", []string{"--listen", "127.0.0.1:7070"}, true, nil},
		{"listen without port", []string{"--listen", "tcp://127.0.0.1"}, true, nil},
		{"listen unix scheme", []string{"--listen", "unix:///tmp/x"}, true, nil},
		{"tiny ring", []string{"--ring-bytes", "10"}, true, nil},
		{"unknown flag", []string{"--nope"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(o) {
				t.Fatalf("options %+v", o)
			}
		})
	}
}
