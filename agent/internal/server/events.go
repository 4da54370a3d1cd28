package server

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// eventBatch bounds how many events are copied out of a ring at once.
const eventBatch = 256

// streamEvents writes the process's kept events after ?after=<seq> as
// NDJSON, then follows new ones until the exit event, flushing each line.
// The handler returns (and its goroutine ends) when the exit event is
// written or the client goes away.
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
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	ctx := r.Context()
	cursor := p.CursorAfter(after)
	for {
		evs, next, more, ended := p.Events(cursor, eventBatch)
		for i := range evs {
			if enc.Encode(&evs[i]) != nil || rc.Flush() != nil {
				return
			}
		}
		cursor = next
		if ended {
			return
		}
		select {
		case <-more:
		case <-ctx.Done():
			return
		}
	}
}
