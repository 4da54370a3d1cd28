package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/workspace-manager/agent/internal/process"
)

// maxJSONBody bounds a JSON request (a run's stdin_data included).
const maxJSONBody = 32 << 20

// decodeJSON reads exactly one JSON value into v, refusing unknown fields
// and values of the wrong type.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apiError{http.StatusRequestEntityTooLarge, codePayloadTooLarge,
				fmt.Sprintf("request body over %d bytes", maxJSONBody)}
		}
		if errors.Is(err, io.EOF) {
			return validationError("a JSON body is required")
		}
		return validationError("invalid JSON body: " + err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return validationError("invalid JSON body: trailing data after the object")
	}
	return nil
}

// lookupProcess resolves the {pid} path segment.
func (s *Server) lookupProcess(r *http.Request) (*process.Process, error) {
	pid, err := strconv.Atoi(r.PathValue("pid"))
	if err != nil || pid <= 0 {
		return nil, processNotFound()
	}
	p, ok := s.manager.Get(pid)
	if !ok {
		return nil, processNotFound()
	}
	return p, nil
}

// startRequest is the body of POST /v1/processes.
type startRequest struct {
	Cmd       string            `json:"cmd"`
	Args      []string          `json:"args"`
	Env       map[string]string `json:"env"`
	Cwd       string            `json:"cwd"`
	UID       *int              `json:"uid"`
	GID       *int              `json:"gid"`
	TimeoutMs int64             `json:"timeout_ms"`
	Stdin     bool              `json:"stdin"`
	Tag       string            `json:"tag"`
}

func (req startRequest) spec() process.Spec {
	return process.Spec{
		Cmd: req.Cmd, Args: req.Args, Env: req.Env, Cwd: req.Cwd,
		UID: req.UID, GID: req.GID, TimeoutMs: req.TimeoutMs, Stdin: req.Stdin, Tag: req.Tag,
	}
}

// runRequest is the body of POST /v1/processes/run.
type runRequest struct {
	startRequest
	StdinData *string `json:"stdin_data"`
}
