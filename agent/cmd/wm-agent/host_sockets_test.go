package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// What gVisor showed in a sandbox with sockets bound in the workspace, in
// /tmp (its own tmpfs), abstract, and the agent's own.
const procNetUnix = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000001 00000000 00010000 0001 01        3 /workspace/app.sock
0000000000000000: 00000001 00000000 00010000 0001 01        4 /tmp/t.sock
0000000000000000: 00000001 00000000 00010000 0001 01        5 @abstract
0000000000000000: 00000001 00000000 00010000 0001 01        1 /run/wm/agent.sock
0000000000000000: 00000001 00000000 00010000 0001 01        6 /root/with space.sock
0000000000000000: 00000001 00000000 00000000 0001 03        2
`

const procMounts = `none / 9p rw,trans=fd,rfdno=4,wfdno=4,aname=/ 0 0
none /dev/shm tmpfs rw,nosuid,noexec,size=65536k,mode=1777 0 0
none /workspace 9p rw,trans=fd,rfdno=5,wfdno=5,aname=/ 0 0
none /tmp tmpfs rw,mode=01777 0 0
none /run/wm 9p rw,trans=fd,rfdno=6,wfdno=6,aname=/ 0 0
`

func TestHostBoundSocketsAreTheOnesOnHostMounts(t *testing.T) {
	proc := t.TempDir()
	if err := os.MkdirAll(filepath.Join(proc, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "net", "unix"), []byte(procNetUnix), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "mounts"), []byte(procMounts), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := hostBoundSockets(proc, "/run/wm/agent.sock")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/root/with space.sock", "/workspace/app.sock"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("host-bound sockets %q, want %q", got, want)
	}
	if _, err := hostBoundSockets(filepath.Join(proc, "absent"), ""); err == nil {
		t.Fatal("no error without /proc files")
	}
}

func TestMountTypeOfTakesTheDeepestMount(t *testing.T) {
	mounts := []mount{{"/", "9p"}, {"/tmp", "tmpfs"}, {"/tmpx", "9p"}}
	for path, want := range map[string]string{"/tmp/a": "tmpfs", "/tmpx/a": "9p", "/tmp": "tmpfs", "/x": "9p"} {
		if got := mountTypeOf(mounts, path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
}
