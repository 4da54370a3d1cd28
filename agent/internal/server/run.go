package server

import (
	"errors"
	"net/http"

	"github.com/workspace-manager/agent/internal/process"
)

type runResponse struct {
	Pid       int    `json:"pid"`
	ExitCode  int    `json:"exit_code"`
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr"`
	TimedOut  bool   `json:"timed_out"`
	Truncated bool   `json:"truncated"`
}

// runProcess starts a command and answers when it exits. A command that
// cannot start is an ordinary reply (pid 0, exit code 127 or 126, the reason
// on stderr), as a shell would report it. If the caller goes away first the
// process keeps running; its events stay readable by pid.
func (s *Server) runProcess(w http.ResponseWriter, r *http.Request) {
	var req runRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	p, err := s.manager.Start(req.spec(), process.StartOptions{
		CollectLimit: s.runOutputLimit,
		StdinData:    req.StdinData,
	})
	var se *process.StartError
	if errors.As(err, &se) {
		writeJSON(w, http.StatusOK, runResponse{ExitCode: se.Code, Stderr: se.Error() + "\n"})
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	select {
	case <-p.Done():
	case <-r.Context().Done():
		return
	}
	out, code, timedOut := p.Output()
	writeJSON(w, http.StatusOK, runResponse{
		Pid:       p.Pid(),
		ExitCode:  code,
		Stdout:    out.Stdout,
		Stderr:    out.Stderr,
		TimedOut:  timedOut,
		Truncated: out.Truncated,
	})
}
