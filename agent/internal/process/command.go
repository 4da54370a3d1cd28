package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// resolveCommand finds the file to execute: cmd itself when it contains a
// slash (relative to cwd), else the first match in pathEnv, like a shell.
// A missing command is a StartError 127, an unexecutable one 126.
func resolveCommand(cmd, cwd, pathEnv string) (string, error) {
	if strings.Contains(cmd, "/") {
		path := cmd
		if !filepath.IsAbs(path) {
			path = filepath.Join(cwd, path)
		}
		if err := checkExecutable(path); err != nil {
			return "", startError(cmd, err)
		}
		return path, nil
	}
	var found error = fs.ErrNotExist
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		path := filepath.Join(dir, cmd)
		if !filepath.IsAbs(path) {
			path = filepath.Join(cwd, path)
		}
		err := checkExecutable(path)
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && errors.Is(found, fs.ErrNotExist) {
			found = err // remember "exists but not executable" like bash
		}
	}
	if errors.Is(found, fs.ErrNotExist) {
		return "", &StartError{Code: 127, Err: fmt.Errorf("%s: command not found", cmd)}
	}
	return "", startError(cmd, found)
}

var errIsDirectory = errors.New("is a directory")

func checkExecutable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return errIsDirectory
	}
	if err := syscall.Access(path, 1 /* X_OK */); err != nil {
		return fs.ErrPermission
	}
	return nil
}

// startError classifies why cmd cannot be executed.
func startError(cmd string, err error) *StartError {
	code := 126
	if errors.Is(err, fs.ErrNotExist) {
		code = 127
		err = syscall.ENOENT
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &StartError{Code: code, Err: fmt.Errorf("%s: %w", cmd, err)}
}

// execError classifies an execve failure reported by ForkExec.
func execError(cmd string, err error) *StartError {
	var errno syscall.Errno
	if errors.As(err, &errno) && errno == syscall.ENOENT {
		return &StartError{Code: 127, Err: fmt.Errorf("%s: %w", cmd, err)}
	}
	return &StartError{Code: 126, Err: fmt.Errorf("%s: %w", cmd, err)}
}

// checkDir verifies that cwd is an existing directory.
func checkDir(cwd string) error {
	info, err := os.Stat(cwd)
	if err != nil {
		return &StartError{Code: 127, Err: fmt.Errorf("cwd %s: %w", cwd, unwrapPath(err))}
	}
	if !info.IsDir() {
		return &StartError{Code: 127, Err: fmt.Errorf("cwd %s: not a directory", cwd)}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// mergeEnv overlays env on base ("K=V" entries): existing keys keep their
// position, new keys follow in sorted order.
func mergeEnv(base []string, env map[string]string) []string {
	if len(env) == 0 {
		return base
	}
	out := make([]string, 0, len(base)+len(env))
	seen := make(map[string]bool, len(env))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := env[k]; ok {
			if !seen[k] {
				out = append(out, k+"="+v)
				seen[k] = true
			}
			continue
		}
		out = append(out, kv)
	}
	var added []string
	for k := range env {
		if !seen[k] {
			added = append(added, k)
		}
	}
	sort.Strings(added)
	for _, k := range added {
		out = append(out, k+"="+env[k])
	}
	return out
}

// lookupEnv returns the value of key in a "K=V" list (the last one wins,
// as for getenv in the child).
func lookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// credential builds the uid/gid switch for the child, or nil to inherit
// the agent's. A uid without a gid takes that user's primary group from
// /etc/passwd, or the gid equal to the uid. Supplementary groups are
// cleared (when the agent may do so).
func credential(uid, gid *int) *syscall.Credential {
	if uid == nil && gid == nil {
		return nil
	}
	c := &syscall.Credential{
		Uid:         uint32(os.Getuid()),
		Gid:         uint32(os.Getgid()),
		Groups:      []uint32{},
		NoSetGroups: os.Geteuid() != 0,
	}
	if uid != nil {
		c.Uid = uint32(*uid)
		c.Gid = primaryGroup(*uid)
	}
	if gid != nil {
		c.Gid = uint32(*gid)
	}
	return c
}

func primaryGroup(uid int) uint32 {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err == nil {
		if g, err := strconv.ParseUint(u.Gid, 10, 32); err == nil {
			return uint32(g)
		}
	}
	return uint32(uid)
}
