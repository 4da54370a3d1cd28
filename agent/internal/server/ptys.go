package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/workspace-manager/agent/internal/ptys"
)

// createPtyRequest is the body of POST /v1/ptys.
type createPtyRequest struct {
	Cols    *int              `json:"cols"`
	Rows    *int              `json:"rows"`
	Shell   string            `json:"shell"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
	Cwd     string            `json:"cwd"`
	UID     *int              `json:"uid"`
	GID     *int              `json:"gid"`
	GraceMs *int64            `json:"grace_ms"`
}

type sizeRequest struct {
	Cols *int `json:"cols"`
	Rows *int `json:"rows"`
}

func (r sizeRequest) size() (int, int, error) {
	if r.Cols == nil || r.Rows == nil {
		return 0, 0, validationError("cols and rows are required")
	}
	return *r.Cols, *r.Rows, nil
}

func (s *Server) createPty(w http.ResponseWriter, r *http.Request) {
	var req createPtyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	cols, rows, err := sizeRequest{req.Cols, req.Rows}.size()
	if err != nil {
		writeError(w, err)
		return
	}
	spec := ptys.Spec{
		Cols: cols, Rows: rows, Shell: req.Shell, Args: req.Args, Env: req.Env,
		Cwd: req.Cwd, UID: req.UID, GID: req.GID,
	}
	if req.GraceMs != nil {
		if *req.GraceMs < 1 || *req.GraceMs > ptys.MaxGrace.Milliseconds() {
			writeError(w, validationError("grace_ms must be between 1 and 86400000"))
			return
		}
		spec.Grace = time.Duration(*req.GraceMs) * time.Millisecond
	}
	p, err := s.ptys.Start(spec)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"pty_id": p.ID(), "pid": p.Pid()})
}

func (s *Server) listPtys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]ptys.Info{"ptys": s.ptys.List()})
}

func (s *Server) resizePty(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookupPty(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req sizeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	cols, rows, err := req.size()
	if err == nil {
		err = p.Resize(cols, rows)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) killPty(w http.ResponseWriter, r *http.Request) {
	p, err := s.lookupPty(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := p.Kill(); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) lookupPty(r *http.Request) (*ptys.PTY, error) {
	p, ok := s.ptys.Get(r.PathValue("id"))
	if !ok {
		return nil, ptyNotFound()
	}
	return p, nil
}

func ptyNotFound() apiError {
	return apiError{http.StatusNotFound, codePtyNotFound, "pty not found"}
}

var errNotUpgrade = errors.New("attach needs Connection: Upgrade and Upgrade: wm-pty")
