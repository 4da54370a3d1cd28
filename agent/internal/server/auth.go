package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// tokenChecker compares bearer tokens in constant time. Both sides are
// hashed first so the comparison does not reveal the token's length either.
type tokenChecker struct{ digest [sha256.Size]byte }

func newTokenChecker(token string) tokenChecker {
	return tokenChecker{digest: sha256.Sum256([]byte(token))}
}

func (c tokenChecker) allows(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], c.digest[:]) == 1
}

// helloProof is hex(HMAC-SHA256(key = token, message = nonce as sent)).
func helloProof(token []byte, nonce string) string {
	mac := hmac.New(sha256.New, token)
	mac.Write([]byte(nonce))
	return hex.EncodeToString(mac.Sum(nil))
}

const maxNonceLen = 256

func validNonce(nonce string) bool {
	if nonce == "" || len(nonce) > maxNonceLen {
		return false
	}
	_, err := hex.DecodeString(nonce)
	return err == nil
}

// hello proves to the caller that this agent holds the sandbox's token.
func (s *Server) hello(w http.ResponseWriter, r *http.Request) {
	nonce := r.URL.Query().Get("nonce")
	if !validNonce(nonce) {
		writeError(w, validationError("nonce must be an even number of hex digits, at most 256"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"version": s.version,
		"proof":   helloProof(s.token, nonce),
	})
}

// detachSocket replies, then has the agent let go of its socket (see
// Config.Detach). The reply is flushed first: closing the connection after
// it cannot lose it.
func (s *Server) detachSocket(w http.ResponseWriter, _ *http.Request) {
	if s.canDetach != nil {
		if err := s.canDetach(); err != nil {
			writeError(w, apiError{http.StatusConflict, codeCheckpointRefused, err.Error()})
			return
		}
	}
	w.Header().Set("Connection", "close")
	writeJSON(w, http.StatusOK, map[string]bool{"detached": true})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	go s.detach()
}
