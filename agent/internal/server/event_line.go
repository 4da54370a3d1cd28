package server

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/workspace-manager/agent/internal/process"
)

// eventLines encodes events as NDJSON lines. Output events with nothing
// but their data, nearly every line of a busy stream, are written by hand
// with the data escaped in runs of plain bytes: encoding/json escapes byte
// by byte and took about half a core streaming at full speed. Any other
// event goes through encoding/json. Both write the fields in the Event
// struct's order, `{"seq":N,"type":"stdout","data":"…"}`, which the
// server's relay reads without decoding the data.
type eventLines struct {
	buf     bytes.Buffer
	encoder *json.Encoder
}

func newEventLines() *eventLines {
	l := &eventLines{}
	l.encoder = json.NewEncoder(&l.buf)
	l.encoder.SetEscapeHTML(false)
	return l
}

// add appends ev's line.
func (l *eventLines) add(ev *process.Event) error {
	if !plainOutput(ev) {
		return l.encoder.Encode(ev) // ends the line with '\n'
	}
	b := l.buf.AvailableBuffer()
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	b = append(b, `,"type":"`...)
	b = append(b, ev.Type...)
	b = append(b, `","data":`...)
	b = appendJSONString(b, ev.Data)
	b = append(b, "}\n"...)
	_, err := l.buf.Write(b)
	return err
}

// take returns the lines added so far and starts over; the bytes are
// valid until the next add.
func (l *eventLines) take() []byte {
	out := l.buf.Bytes()
	l.buf.Reset()
	return out
}

func plainOutput(ev *process.Event) bool {
	return (ev.Type == process.EventStdout || ev.Type == process.EventStderr) &&
		ev.Data != "" && ev.Pid == 0 && ev.Code == nil && ev.TimedOut == nil && ev.Dropped == 0
}

const hexDigits = "0123456789abcdef"

// Kinds of byte for appendJSONString.
const (
	bytePlain    = iota // copied as it is
	byteEscape          // quote, backslash or a control character
	byteNonASCII        // the start (or a stray part) of a multi-byte sequence
)

var byteKinds = func() (k [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			k[c] = byteEscape
		case c >= 0x80:
			k[c] = byteNonASCII
		}
	}
	return k
}()

// escapeBlock is how much input appendJSONString takes between two checks of
// the room left: each input byte becomes at most 6 output bytes.
const escapeBlock = 4096

// appendJSONString appends s as a JSON string literal, as encoding/json
// reads it back: quote, backslash and control characters escaped, invalid
// UTF-8 as U+FFFD, and U+2028/U+2029 escaped (JavaScript reads them as line
// ends); no raw line break can appear in it. It writes byte by byte into
// room reserved a block at a time: output such as `y\n` needs an escape
// every other byte, and appending each plain run and escape in turn spent
// most of the agent's time streaming it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for len(s) > 0 {
		block := min(len(s), escapeBlock)
		n := len(b)
		b = slices.Grow(b, 6*block+utf8.UTFMax)[:n+6*block+utf8.UTFMax]
		i := 0
		for i < block {
			c := s[i]
			switch byteKinds[c] {
			case bytePlain:
				b[n] = c
				n++
				i++
			case byteEscape:
				b[n] = '\\'
				switch c {
				case '"', '\\':
					b[n+1] = c
					n += 2
				case '\n':
					b[n+1] = 'n'
					n += 2
				case '\r':
					b[n+1] = 'r'
					n += 2
				case '\t':
					b[n+1] = 't'
					n += 2
				default:
					b[n+1], b[n+2], b[n+3], b[n+4], b[n+5] = 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF]
					n += 6
				}
				i++
			default:
				// A sequence may run past the block's end: the room
				// reserved covers utf8.UTFMax more input bytes.
				r, size := utf8.DecodeRuneInString(s[i:])
				switch {
				case r == utf8.RuneError && size == 1:
					n += copy(b[n:], `\ufffd`)
				case r == '\u2028' || r == '\u2029':
					b[n], b[n+1], b[n+2], b[n+3], b[n+4], b[n+5] = '\\', 'u', '2', '0', '2', hexDigits[r&0xF]
					n += 6
				default:
					n += copy(b[n:], s[i:i+size])
				}
				i += size
			}
		}
		b = b[:n]
		s = s[i:]
	}
	return append(b, '"')
}
