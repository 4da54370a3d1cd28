package process

import "strings"

// collector keeps a process's output for a run reply, up to limit bytes of
// text per stream; anything beyond is dropped and marks it truncated.
type collector struct {
	limit     int
	streams   [2]strings.Builder // stdout, stderr
	truncated bool
}

func (c *collector) add(stream int, text string) {
	b := &c.streams[stream]
	room := c.limit - b.Len()
	if len(text) > room {
		text = cutUTF8(text, room)
		c.truncated = true
	}
	b.WriteString(text)
}

// cutUTF8 shortens s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Output is what a run collected.
type Output struct {
	Stdout    string
	Stderr    string
	Truncated bool
}
