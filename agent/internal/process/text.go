package process

import (
	"strings"
	"unicode/utf8"
)

// textDecoder turns a byte stream into UTF-8 text chunk by chunk. A
// multi-byte character split across chunks is held back until its last
// byte arrives; every invalid byte becomes U+FFFD.
type textDecoder struct {
	pending [utf8.UTFMax]byte
	n       int
}

// decode returns the text of b (after any bytes held from the previous
// call), holding back an incomplete trailing character.
func (d *textDecoder) decode(b []byte) string {
	if d.n > 0 {
		joined := make([]byte, 0, d.n+len(b))
		joined = append(joined, d.pending[:d.n]...)
		b = append(joined, b...)
		d.n = 0
	}
	cut := incompleteSuffix(b)
	d.n = copy(d.pending[:], b[cut:])
	return toValidUTF8(b[:cut])
}

// flush returns the held-back bytes (an incomplete character at end of
// stream), each as U+FFFD.
func (d *textDecoder) flush() string {
	s := strings.Repeat(string(utf8.RuneError), d.n)
	d.n = 0
	return s
}

// incompleteSuffix returns the index where a trailing, possibly valid but
// unfinished multi-byte sequence starts, or len(b) when there is none.
func incompleteSuffix(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		if !utf8.RuneStart(b[i]) {
			continue
		}
		// An invalid sequence counts as "full": it decodes now as U+FFFD.
		if !utf8.FullRune(b[i:]) {
			return i
		}
		return len(b)
	}
	return len(b)
}

// toValidUTF8 converts b to a string, replacing each invalid byte with
// U+FFFD (the fast path is a plain copy).
func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}
