package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/workspace-manager/agent/internal/process"
)

// Error codes from the server's table (packages/protocol/src/errors.ts).
const (
	codeInternal           = 1000
	codeValidation         = 1001
	codeUnauthenticated    = 1002
	codePayloadTooLarge    = 1004
	codeRuntimeUnavailable = 1006
	codeNotFound           = 1007
	codePortUnreachable    = 2005
	codeCheckpointRefused  = 2006
	codeProcessNotFound    = 3001
	codePtyNotFound        = 4001
)

type apiError struct {
	status  int
	code    int
	message string
}

func (e apiError) Error() string { return e.message }

var errUnauthenticated = apiError{http.StatusUnauthorized, codeUnauthenticated, "missing or invalid bearer token"}

func validationError(msg string) apiError {
	return apiError{http.StatusBadRequest, codeValidation, msg}
}

func processNotFound() apiError {
	return apiError{http.StatusNotFound, codeProcessNotFound, "process not found"}
}

// toAPIError maps a process error to its wire form.
func toAPIError(err error) apiError {
	var ae apiError
	var ve *process.ValidationError
	var se *process.StartError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ve):
		return validationError(ve.Msg)
	case errors.As(err, &se):
		return validationError(se.Error())
	case errors.Is(err, process.ErrStdinClosed):
		return validationError(err.Error())
	case errors.Is(err, process.ErrShuttingDown):
		return apiError{http.StatusServiceUnavailable, codeRuntimeUnavailable, err.Error()}
	}
	return apiError{http.StatusInternalServerError, codeInternal, err.Error()}
}

func writeError(w http.ResponseWriter, err error) {
	ae := toAPIError(err)
	type body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, ae.status, map[string]body{"error": {ae.code, ae.message}})
}

// writeJSON sends v as the whole reply. HTML escaping is off: command
// output is returned as written.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":1000,"message":"encode reply"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
