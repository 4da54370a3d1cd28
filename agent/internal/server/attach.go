package server

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/workspace-manager/agent/internal/ptys"
)

const (
	// ptyFrameMax is the most output sent in one data frame.
	ptyFrameMax = 64 << 10
	// exitLinger is how long, after the exit frame, the connection stays
	// half-open for the client to read it and close.
	exitLinger = time.Second
)

// attachPty upgrades the connection (Upgrade: wm-pty) and runs the framed
// PTY stream on it: the offset frame, then output from that offset as data
// frames, then the exit frame; input, resize and kill frames the other way.
func (s *Server) attachPty(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookupPty(r)
	if err != nil {
		writeError(w, err)
		return
	}
	after := int64(-1)
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			writeError(w, validationError("after must be a non-negative integer"))
			return
		}
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") || !strings.EqualFold(r.Header.Get("Upgrade"), "wm-pty") {
		writeError(w, validationError(errNotUpgrade.Error()))
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeError(w, err)
		return
	}
	c, offset := p.Attach(after)
	start := []byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: wm-pty\r\n\r\n")
	start = appendFrame(start, frameOffset, mustJSON(map[string]int64{"offset": offset}))
	if _, err := conn.Write(start); err != nil {
		c.Detach()
		conn.Close()
		return
	}
	s.servePty(conn, brw.Reader, p, c)
}

// servePty runs an attached client until the shell's exit has been sent,
// the client goes away, or it is detached (taken over, or stalled).
func (s *Server) servePty(conn net.Conn, in *bufio.Reader, p *ptys.PTY, c *ptys.Client) {
	readerDone := make(chan error, 1)
	go func() { readerDone <- readPtyInput(in, p) }()
	writerDone := make(chan bool, 1)
	go func() { writerDone <- writePtyOutput(conn, c) }()

	var writerEnded bool
	select {
	case exitSent := <-writerDone:
		writerEnded = true
		if exitSent {
			// Let the client read the exit frame and close first: closing
			// with its input unread could reset the connection.
			if cw, ok := conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			select {
			case <-readerDone:
			case <-time.After(exitLinger):
			}
		}
	case err := <-readerDone:
		s.log.Debug("pty client went away", "pty_id", p.ID(), "err", err)
	case <-c.Gone():
		s.log.Info("pty client detached", "pty_id", p.ID(), "reason", c.Reason())
	}
	c.Detach()
	conn.Close() // ends the writer's pending write and the reader's read
	if !writerEnded {
		<-writerDone
	}
	// Keystrokes still queued are written in the background; that ends
	// when the terminal takes them or its shell exits.
}

// writePtyOutput sends output as data frames, each as soon as it is read,
// then the exit frame. It reports whether the exit frame was sent.
func writePtyOutput(conn net.Conn, c *ptys.Client) bool {
	buf := make([]byte, 0, frameHeader+ptyFrameMax)
	for {
		data, code, exited, more, err := c.Next(ptyFrameMax)
		switch {
		case err != nil:
			return false
		case len(data) > 0:
			buf = appendFrame(buf[:0], frameData, data)
		case exited:
			_, err := conn.Write(appendFrame(buf[:0], frameExit, mustJSON(map[string]int{"code": code})))
			return err == nil
		default:
			select {
			case <-more:
			case <-c.Gone():
				return false
			}
			continue
		}
		if _, err := conn.Write(buf); err != nil {
			return false
		}
	}
}

// maxResizeWait bounds how long a resize waits for the keystrokes before it
// to be consumed (see PTY.WaitIdle); past it the resize applies anyway, e.g.
// while a foreground program that ignores its input is running.
const maxResizeWait = time.Second

// readPtyInput applies the client's frames until the connection ends or a
// frame is malformed (too large, or a resize that is not valid JSON
// {cols, rows}). Keystrokes are queued for the terminal (see ptyInput);
// input to a PTY whose shell has exited is dropped; frames of unknown types
// are ignored.
func readPtyInput(r *bufio.Reader, p *ptys.PTY) error {
	input := newPtyInput(p)
	defer input.close()
	var buf []byte
	for {
		typ, payload, err := readFrame(r, buf)
		if err != nil {
			return err
		}
		buf = payload[:0]
		switch typ {
		case frameData:
			input.push(payload)
		case frameResize:
			var size sizeRequest
			if err := json.Unmarshal(payload, &size); err != nil {
				return err
			}
			cols, rows, err := size.size()
			if err == nil {
				// Keep the resize in order with the keystrokes sent before it.
				start := time.Now()
				input.flushed(maxResizeWait)
				p.WaitIdle(maxResizeWait - time.Since(start))
				err = p.Resize(cols, rows)
			}
			if err != nil {
				return err
			}
		case frameKill:
			if err := p.Kill(); err != nil {
				return err
			}
		default: // unknown types are ignored, for clients newer than the agent
		}
	}
}

// headerHasToken reports whether a comma-separated header has token
// (case-insensitive), as in "Connection: keep-alive, Upgrade".
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of numbers are encoded here
	}
	return b
}
