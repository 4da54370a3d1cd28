package process

import (
	"strings"
	"testing"
)

func TestTextDecoder(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string // text returned for each chunk, then by flush
	}{
		{"ascii", []string{"hello", " world"}, []string{"hello", " world", ""}},
		{"euro split 1+2", []string{"a\xe2", "\x82\xacb"}, []string{"a", "€b", ""}},
		{"euro split 2+1", []string{"\xe2\x82", "\xac"}, []string{"", "€", ""}},
		{"emoji split 1+1+1+1", []string{"\xf0", "\x9f", "\x98", "\x80!"}, []string{"", "", "", "😀!", ""}},
		{"invalid byte", []string{"a\xffb"}, []string{"a\uFFFDb", ""}},
		{"lone continuation", []string{"\x80x"}, []string{"\uFFFDx", ""}},
		{"truncated at end of stream", []string{"ok\xe2\x82"}, []string{"ok", "\uFFFD\uFFFD"}},
		{"bad sequence is not held back", []string{"\xe2(", "z"}, []string{"\uFFFD(", "z", ""}},
		{"split then invalid continuation", []string{"\xe2", "\x28"}, []string{"", "\uFFFD(", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d textDecoder
			var got []string
			for _, c := range tt.chunks {
				got = append(got, d.decode([]byte(c)))
			}
			got = append(got, d.flush())
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
