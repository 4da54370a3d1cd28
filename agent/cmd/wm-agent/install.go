package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// installUsage is printed for a bad `install` command line.
const installUsage = "usage: wm-agent install DEST"

// runInstall is `wm-agent install DEST`: it copies the running executable
// to DEST, so an image holding nothing but the agent can hand it to another
// container (a Kubernetes init container filling a shared volume) without
// a shell or cp. It returns the exit status.
func runInstall(args []string, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintln(stderr, installUsage)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "wm-agent: install: find own executable:", err)
		return 1
	}
	if err := installFile(self, args[0]); err != nil {
		fmt.Fprintln(stderr, "wm-agent: install:", err)
		return 1
	}
	return 0
}

// installFile copies src to dest with mode 0755, creating dest's parent
// directories. It writes a temporary file beside dest and renames it, so
// dest is either absent, the old file or the whole new one: a reader
// never sees (or executes) a partial copy, and a running old binary at
// dest is replaced rather than overwritten (ETXTBSY).
func installFile(src, dest string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if info, err := os.Stat(dest); err == nil && info.IsDir() {
		return fmt.Errorf("%s is a directory", dest)
	}
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, in); err != nil {
		return fmt.Errorf("copy to %s: %w", tmp.Name(), err)
	}
	// CreateTemp makes 0600 files; Chmod is not subject to the umask.
	if err := tmp.Chmod(0o755); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
