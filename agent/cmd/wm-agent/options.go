package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"
)

// options are the agent's command line.
type options struct {
	socket        string
	listen        string // tcp://host:port, optional
	workdir       string
	ringBytes     int
	shutdownGrace time.Duration
	showVersion   bool
	command       []string // the image's own command, run with tag "main"
}

const usage = `usage: wm-agent [--socket PATH] [--listen tcp://HOST:PORT] [--workdir DIR]
                [--ring-bytes N] [--shutdown-grace DURATION] [-- command [args...]]
       wm-agent install DEST   (copy this executable to DEST, mode 0755, and exit)

Environment: WM_AGENT_TOKEN (required, at least 32 characters).

`

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("wm-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.socket, "socket", "/run/wm/agent.sock", "unix socket to serve on (empty: none); `ready` is written beside it")
	fs.StringVar(&o.listen, "listen", "", "also serve on TCP, as tcp://host:port")
	fs.StringVar(&o.workdir, "workdir", "/workspace", "default working directory of processes")
	fs.IntVar(&o.ringBytes, "ring-bytes", 1<<20, "output bytes kept per process for replay")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "how long processes get after SIGTERM before SIGKILL")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.command = fs.Args()
	if o.showVersion {
		return o, nil
	}
	if o.socket == "" && o.listen == "" {
		return o, errors.New("nothing to serve on: give --socket or --listen")
	}
	if o.listen != "" {
		if _, err := tcpAddress(o.listen); err != nil {
			return o, err
		}
	}
	if o.ringBytes < 1024 {
		return o, fmt.Errorf("--ring-bytes %d: must be at least 1024", o.ringBytes)
	}
	if o.shutdownGrace < 0 {
		return o, fmt.Errorf("--shutdown-grace %v: must not be negative", o.shutdownGrace)
	}
	return o, nil
}

// tcpAddress turns tcp://host:port into host:port.
func tcpAddress(listen string) (string, error) {
	u, err := url.Parse(listen)
	if err != nil || u.Scheme != "tcp" || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("--listen %q: want tcp://host:port", listen)
	}
	return u.Host, nil
}
