package server

import (
	"bytes"
	"encoding/json"
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

// appendJSONString appends s as a JSON string literal, as encoding/json
// reads it back: quote, backslash and control characters escaped, invalid
// UTF-8 as U+FFFD, and U+2028/U+2029 escaped (JavaScript reads them as line
// ends); no raw line break can appear in it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
