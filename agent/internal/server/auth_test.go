package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

func TestAuthentication(t *testing.T) {
	a := startAgent(t, agentOpts{})
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer not-the-token", http.StatusUnauthorized},
		{"token prefix only", "Bearer " + testToken[:10], http.StatusUnauthorized},
		{"wrong scheme", "Basic " + testToken, http.StatusUnauthorized},
		{"bare token", testToken, http.StatusUnauthorized},
		{"correct", "Bearer " + testToken, http.StatusOK},
		{"scheme is case-insensitive", "bearer " + testToken, http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"/v1/processes", "/v1/hello?nonce=00"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				req := a.request("GET", path, nil)
				req.Header.Del("Authorization")
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				resp, err := a.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
				}
			})
		}
	}
	// Unknown routes are not revealed without the token either.
	a.token = "wrong"
	a.expectError("GET", "/v1/nothing", nil, http.StatusUnauthorized, codeUnauthenticated)
}

func TestHelloProof(t *testing.T) {
	a := startAgent(t, agentOpts{})
	nonce := "8f3a0c1d2e4b5a6978695a4b3c2d1e0f"
	var reply struct{ Version, Proof string }
	a.call("GET", "/v1/hello?nonce="+nonce, nil, http.StatusOK, &reply)
	mac := hmac.New(sha256.New, []byte(testToken))
	mac.Write([]byte(nonce))
	if want := hex.EncodeToString(mac.Sum(nil)); reply.Proof != want {
		t.Fatalf("proof %s, want %s", reply.Proof, want)
	}
	if reply.Version != "test" {
		t.Fatalf("version %q", reply.Version)
	}
	for _, bad := range []string{"", "xyz", "abc", strings.Repeat("ab", 129)} {
		t.Run("bad nonce "+bad[:min(8, len(bad))], func(t *testing.T) {
			a.expectError("GET", "/v1/hello?nonce="+bad, nil, http.StatusBadRequest, codeValidation)
		})
	}
}

func TestUnknownRoute(t *testing.T) {
	a := startAgent(t, agentOpts{})
	a.expectError("GET", "/v1/nothing", nil, http.StatusNotFound, codeNotFound)
	a.expectError("DELETE", "/v1/processes", nil, http.StatusNotFound, codeNotFound)
}
