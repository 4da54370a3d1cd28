package server

import (
	"net/http"
	"strconv"
	"time"
)

// eventBatch bounds how many events are copied out of a ring at once.
const eventBatch = 256

// streamEvents writes the process's kept events after ?after=<seq> as
// NDJSON, then follows new ones until the exit event, flushing each batch.
// The handler returns (and its goroutine ends) when the exit event is
// written or the client goes away. While it runs it is a live follower: the
// process is slowed to its pace rather than losing output, and a client
// that takes nothing for the follower timeout while output waits is
// disconnected.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookupProcess(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			writeError(w, validationError("after must be a non-negative integer"))
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	lines := newEventLines()
	ctx := r.Context()
	f := p.Follow(after)
	defer f.Close()
	// A follower detached for stalling may be blocked writing to a client
	// that stopped reading: a write deadline in the past ends that write,
	// and the connection is closed without finishing the response.
	unstick := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case <-f.Stalled():
			_ = rc.SetWriteDeadline(time.Unix(1, 0))
		case <-unstick:
		}
	}()
	defer func() { close(unstick); <-watcher }()
	for {
		evs, more, ended, err := f.Next(eventBatch)
		if err != nil { // stalled: make sure the response is cut off, not ended
			s.log.Warn("event follower disconnected", "pid", p.Pid(), "err", err)
			_ = rc.SetWriteDeadline(time.Unix(1, 0))
			return
		}
		// One write and one flush per batch: a busy stream's batch holds many events.
		for i := range evs {
			if lines.add(&evs[i]) != nil {
				return
			}
		}
		if len(evs) > 0 {
			if _, err := w.Write(lines.take()); err != nil || rc.Flush() != nil {
				return
			}
		}
		if ended {
			return
		}
		select {
		case <-more:
		case <-f.Stalled():
		case <-ctx.Done():
			return
		}
	}
}
