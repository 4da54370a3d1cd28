package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// listenUnix creates the socket with mode 0600, replacing a stale socket
// left by an earlier run (but never another kind of file).
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if info, err := os.Lstat(path); err == nil {
		if info.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("stat socket: %w", err)
	}
	// The umask makes the socket 0600 from the moment it exists; nothing
	// else creates files while the agent starts.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	// Belt and braces on top of the umask. Under gVisor the socket is a host
	// socket (runsc --host-uds=create) that the sandbox may neither stat nor
	// chmod (EPERM); there the umask above is what made it 0600.
	if err := os.Chmod(path, 0o600); err != nil && !errors.Is(err, fs.ErrPermission) {
		ln.Close()
		return nil, fmt.Errorf("chmod socket: %w", err)
	}
	return ln, nil
}

func listenTCP(listen string) (net.Listener, error) {
	addr, err := tcpAddress(listen)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// readyPath is where the agent announces it serves: beside the socket.
func readyPath(socket string) string { return filepath.Join(filepath.Dir(socket), "ready") }

// writeReady atomically writes the version to the ready file.
func writeReady(path, version string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(version), 0o644); err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write ready file: %w", err)
	}
	return nil
}
