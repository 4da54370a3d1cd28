package server

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/workspace-manager/agent/internal/process"
)

// rawSink writes a process's stdout to a response as it is read. It is
// called from the pipe's reader goroutine while the handler waits; closing
// it under the lock guarantees no write touches the response after the
// handler has returned.
type rawSink struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	rc     *http.ResponseController
	closed bool // the handler is done with the response, or a write failed
	lost   chan struct{}
}

func (s *rawSink) write(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	// One flush per read: a read returns what the pipe held (up to
	// process.RawReadChunk), so a busy stream moves in large writes and a
	// quiet one is not kept waiting in a buffer.
	if _, err := s.w.Write(b); err != nil || s.rc.Flush() != nil {
		s.closed = true
		close(s.lost)
	}
}

// close stops writes to the response; it returns once none is under way.
func (s *rawSink) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// startRaw runs a command and answers with its stdout bytes as they come,
// untouched (application/octet-stream, chunked), then trailers X-Exit-Code
// and X-Timed-Out. The pid is in the X-Pid header. Stderr goes to the
// process's events as usual (GET /v1/processes/{pid}/events). The process
// belongs to the request: when the client goes away first its group is
// killed (SIGKILL). A command that cannot start is 400 1001 before any body.
func (s *Server) startRaw(w http.ResponseWriter, r *http.Request) {
	var req runRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	rc := http.NewResponseController(w)
	sink := &rawSink{w: w, rc: rc, lost: make(chan struct{})}
	// The sink may be called before the head below is written; it waits on
	// the lock held until then, so the head always goes first.
	sink.mu.Lock()
	p, err := s.manager.Start(req.spec(), process.StartOptions{StdinData: req.StdinData, RawStdout: sink.write})
	if err != nil {
		sink.closed = true
		sink.mu.Unlock()
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Pid", strconv.Itoa(p.Pid()))
	h.Set("Trailer", "X-Exit-Code, X-Timed-Out")
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		sink.closed = true
		close(sink.lost)
	}
	sink.mu.Unlock()

	select {
	case <-p.Done():
		sink.close()
		_, code, timedOut := p.Output()
		h.Set("X-Exit-Code", strconv.Itoa(code))
		h.Set("X-Timed-Out", strconv.FormatBool(timedOut))
		return
	case <-r.Context().Done():
	case <-sink.lost:
	}
	// The client went away: nobody can read this output again, so the
	// process is not left running for nothing.
	if err := p.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		s.log.Warn("kill raw process", "pid", p.Pid(), "err", err)
	}
	// A write blocked on a client that stopped reading ends now.
	_ = rc.SetWriteDeadline(time.Unix(1, 0))
	sink.close()
}
