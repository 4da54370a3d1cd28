package server

import (
	"errors"
	"net/http"
	"strconv"
	"syscall"

	"github.com/workspace-manager/agent/internal/process"
)

func (s *Server) startProcess(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	// A query parameter, not a body field: agents that predate it ignore it
	// (they refuse unknown body fields), so a newer server still starts
	// processes in sandboxes running an older agent.
	hold := r.URL.Query().Get("await_follower") == "1"
	p, err := s.manager.Start(req.spec(), process.StartOptions{HoldForFollower: hold})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int{"pid": p.Pid()})
}

func (s *Server) listProcesses(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]process.Info{"processes": s.manager.List()})
}

func (s *Server) getProcess(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookupProcess(r)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p.Info())
}

// maxSignal is SIGRTMAX on Linux.
const maxSignal = 64

func (s *Server) signalProcess(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookupProcess(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req struct {
		Signal *int `json:"signal"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Signal == nil || *req.Signal < 1 || *req.Signal > maxSignal {
		writeError(w, validationError("signal must be a number from 1 to 64"))
		return
	}
	// A group that has already gone entirely (ESRCH) is not an error: the
	// caller wanted it to stop, and it has.
	if err := p.Signal(syscall.Signal(*req.Signal)); err != nil && !errors.Is(err, syscall.ESRCH) {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) writeStdin(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookupProcess(r)
	if err != nil {
		writeError(w, err)
		return
	}
	eof := false
	if v := r.URL.Query().Get("eof"); v != "" {
		if eof, err = strconv.ParseBool(v); err != nil {
			writeError(w, validationError("eof must be true or false"))
			return
		}
	}
	if err := p.WriteStdin(r.Context(), r.Body, eof); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
