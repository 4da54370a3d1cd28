package ptys

import (
	"strings"
	"testing"
)

func TestByteRing(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		writes     []string
		start, end int64
		kept       string
	}{
		{"empty", 8, nil, 0, 0, ""},
		{"within", 8, []string{"abc", "de"}, 0, 5, "abcde"},
		{"exactly full", 8, []string{"abcd", "efgh"}, 0, 8, "abcdefgh"},
		{"wraps and evicts", 8, []string{"abcdef", "ghij"}, 2, 10, "cdefghij"},
		{"many wraps", 4, []string{"ab", "cd", "ef", "gh", "i"}, 5, 9, "fghi"},
		{"larger than the ring", 4, []string{"ab", "cdefghij"}, 6, 10, "ghij"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newByteRing(tt.size)
			for _, w := range tt.writes {
				r.write([]byte(w))
			}
			if r.start != tt.start || r.end != tt.end {
				t.Fatalf("range [%d, %d), want [%d, %d)", r.start, r.end, tt.start, tt.end)
			}
			if got := string(r.read(0, 100)); got != tt.kept {
				t.Fatalf("kept %q, want %q", got, tt.kept)
			}
			// Every offset reads the rest, in pieces of any size.
			for off := r.start; off <= r.end; off++ {
				var sb strings.Builder
				for at := off; at < r.end; {
					b := r.read(at, 3)
					sb.Write(b)
					at += int64(len(b))
				}
				if want := tt.kept[off-r.start:]; sb.String() != want {
					t.Fatalf("from %d: %q, want %q", off, sb.String(), want)
				}
				if n := r.unreadFrom(off); n != len(tt.kept)-int(off-r.start) {
					t.Fatalf("unreadFrom(%d) = %d", off, n)
				}
			}
		})
	}
}

func TestByteRingClamp(t *testing.T) {
	r := newByteRing(4)
	r.write([]byte("abcdefg")) // keeps [3, 7)
	for _, tt := range []struct{ in, want int64 }{{0, 3}, {3, 3}, {5, 5}, {7, 7}, {100, 7}} {
		if got := r.clamp(tt.in); got != tt.want {
			t.Errorf("clamp(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if got := string(r.read(0, 10)); got != "defg" {
		t.Errorf("read from an evicted offset: %q", got)
	}
}
