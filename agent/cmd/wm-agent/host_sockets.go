package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// hostFilesystems are the mount types whose files live on the host. Under
// gVisor with --host-uds=create, a unix socket bound on one of them is a
// host socket, which runsc cannot checkpoint (and tries, and loses the
// sandbox); sockets in gVisor's own tmpfs, and abstract ones, are fine.
var hostFilesystems = map[string]bool{"9p": true}

// hostBoundSockets lists the unix sockets bound at paths on host-backed
// mounts, other than skip (the agent's own socket, which it closes before
// a checkpoint). It reads /proc/net/unix and /proc/mounts; procRoot is
// "/proc" but for tests.
func hostBoundSockets(procRoot, skip string) ([]string, error) {
	mounts, err := readMounts(filepath.Join(procRoot, "mounts"))
	if err != nil {
		return nil, err
	}
	file, err := os.Open(filepath.Join(procRoot, "net", "unix"))
	if err != nil {
		return nil, err
	}
	defer file.Close()
	seen := map[string]bool{}
	scanner := bufio.NewScanner(file)
	scanner.Scan() // the header line
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 8 {
			continue // unbound: no path
		}
		path := strings.Join(fields[7:], " ")
		if !strings.HasPrefix(path, "/") || path == skip || seen[path] {
			continue // abstract (@name), or already listed
		}
		if hostFilesystems[mountTypeOf(mounts, path)] {
			seen[path] = true
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(seen))
	for path := range seen {
		out = append(out, path)
	}
	sort.Strings(out)
	return out, nil
}

type mount struct{ point, fstype string }

func readMounts(path string) ([]mount, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var mounts []mount
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 3 {
			mounts = append(mounts, mount{point: fields[1], fstype: fields[2]})
		}
	}
	return mounts, nil
}

// mountTypeOf is the type of the deepest mount holding path.
func mountTypeOf(mounts []mount, path string) string {
	best, fstype := -1, ""
	for _, m := range mounts {
		inside := path == m.point || strings.HasPrefix(path, strings.TrimSuffix(m.point, "/")+"/")
		if inside && len(m.point) > best {
			best, fstype = len(m.point), m.fstype
		}
	}
	return fstype
}

// detachRefusal says why the agent cannot let go of its socket for a
// checkpoint, or returns nil.
func detachRefusal(socket string) error {
	sockets, err := hostBoundSockets("/proc", socket)
	if err != nil {
		return nil // no /proc/net/unix to read (not gVisor-like): nothing known to refuse on
	}
	if len(sockets) > 0 {
		return fmt.Errorf("processes in the sandbox hold unix sockets bound on host-backed paths (%s), which gVisor cannot checkpoint; close them or bind them under /tmp", strings.Join(sockets, ", "))
	}
	return nil
}
