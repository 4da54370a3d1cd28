// Package server is the agent's HTTP API (docs/agent-protocol.md): bearer
// token authentication, the hello proof, the process routes, the PTY
// routes (including the upgraded, framed attach stream) and the port
// connect route (an upgraded raw TCP stream to a loopback port).
package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/workspace-manager/agent/internal/process"
	"github.com/workspace-manager/agent/internal/ptys"
)

// DefaultRunOutputLimit is how much of each stream a run reply carries.
const DefaultRunOutputLimit = 16 << 20

// Config configures a Server.
type Config struct {
	Manager        *process.Manager
	Ptys           *ptys.Manager
	Token          string // the bearer token; also the hello proof key
	Version        string
	RunOutputLimit int // per stream; default DefaultRunOutputLimit
	Logger         *slog.Logger
	// Detach, when set, serves POST /v1/detach: called after the reply has
	// been sent, it lets go of the socket until the server says resume.
	Detach func()
	// CanDetach, when set, is asked first: an error refuses the detach
	// (409 code 2006) with its message, and nothing changes.
	CanDetach func() error
}

// Server is an http.Handler serving the agent API.
type Server struct {
	manager        *process.Manager
	ptys           *ptys.Manager
	auth           tokenChecker
	token          []byte
	version        string
	runOutputLimit int
	log            *slog.Logger
	mux            *http.ServeMux
	detach         func()
	canDetach      func() error
}

// New builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Manager == nil || cfg.Ptys == nil {
		return nil, errors.New("server: Config.Manager and Config.Ptys are required")
	}
	if cfg.Token == "" {
		return nil, errors.New("server: Config.Token is required")
	}
	if cfg.RunOutputLimit <= 0 {
		cfg.RunOutputLimit = DefaultRunOutputLimit
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		manager:        cfg.Manager,
		ptys:           cfg.Ptys,
		auth:           newTokenChecker(cfg.Token),
		token:          []byte(cfg.Token),
		version:        cfg.Version,
		runOutputLimit: cfg.RunOutputLimit,
		log:            cfg.Logger,
		mux:            http.NewServeMux(),
		detach:         cfg.Detach,
		canDetach:      cfg.CanDetach,
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /v1/hello", s.hello)
	s.mux.HandleFunc("POST /v1/processes", s.startProcess)
	s.mux.HandleFunc("POST /v1/processes/run", s.runProcess)
	s.mux.HandleFunc("POST /v1/processes/raw", s.startRaw)
	s.mux.HandleFunc("GET /v1/processes", s.listProcesses)
	s.mux.HandleFunc("GET /v1/processes/{pid}", s.getProcess)
	s.mux.HandleFunc("GET /v1/processes/{pid}/events", s.streamEvents)
	s.mux.HandleFunc("POST /v1/processes/{pid}/signal", s.signalProcess)
	s.mux.HandleFunc("POST /v1/processes/{pid}/stdin", s.writeStdin)
	s.mux.HandleFunc("POST /v1/ptys", s.createPty)
	s.mux.HandleFunc("GET /v1/ptys", s.listPtys)
	s.mux.HandleFunc("POST /v1/ptys/{id}/resize", s.resizePty)
	s.mux.HandleFunc("POST /v1/ptys/{id}/kill", s.killPty)
	s.mux.HandleFunc("GET /v1/ptys/{id}/attach", s.attachPty)
	s.mux.HandleFunc("GET /v1/ports/{port}/connect", s.connectPort)
	if s.detach != nil {
		s.mux.HandleFunc("POST /v1/detach", s.detachSocket)
	}
	s.mux.HandleFunc("/", s.noRoute) // the least specific pattern: anything else
}

func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, apiError{http.StatusNotFound, codeNotFound, "no route for " + r.Method + " " + r.URL.Path})
}

// ServeHTTP authenticates every request, then routes it; an unknown route
// or method is 404 code 1007.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.auth.allows(r) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, errUnauthenticated)
		return
	}
	s.mux.ServeHTTP(w, r)
}
