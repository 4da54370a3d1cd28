package process

import (
	"errors"
	"os/user"
	"strings"
	"syscall"
	"testing"
)

func TestRunEcho(t *testing.T) {
	m := newManager(t, 1<<20)
	stdout, stderr, code := run(t, m, Spec{Cmd: "echo", Args: []string{"hi"}})
	if stdout != "hi\n" || stderr != "" || code != 0 {
		t.Fatalf("got stdout %q stderr %q code %d", stdout, stderr, code)
	}
}

func TestExitCodes(t *testing.T) {
	m := newManager(t, 1<<20)
	tests := []struct {
		name   string
		script string
		code   int
	}{
		{"success", "exit 0", 0},
		{"failure", "exit 1", 1},
		{"high", "exit 255", 255},
		{"killed by TERM", "kill -TERM $$", 128 + 15},
		{"killed by KILL", "kill -KILL $$", 128 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, code := run(t, m, sh(tt.script)); code != tt.code {
				t.Fatalf("exit code %d, want %d", code, tt.code)
			}
		})
	}
}

func TestStdoutAndStderrAreSeparate(t *testing.T) {
	m := newManager(t, 1<<20)
	stdout, stderr, _ := run(t, m, sh("echo out; echo err >&2"))
	if stdout != "out\n" || stderr != "err\n" {
		t.Fatalf("stdout %q stderr %q", stdout, stderr)
	}
}

func TestEnvAndCwd(t *testing.T) {
	m := newManager(t, 1<<20)
	dir := t.TempDir()
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"base env inherited", sh(`echo "$BASE"`), "1\n"},
		{"env added", Spec{Cmd: "sh", Args: []string{"-c", `echo "$NEW"`}, Env: map[string]string{"NEW": "x y"}}, "x y\n"},
		{"env overrides base", Spec{Cmd: "sh", Args: []string{"-c", `echo "$BASE"`}, Env: map[string]string{"BASE": "2"}}, "2\n"},
		{"default cwd is workdir", Spec{Cmd: "pwd"}, m.cfg.Workdir + "\n"},
		{"cwd", Spec{Cmd: "pwd", Cwd: dir}, dir + "\n"},
		{"PATH from env overlay", Spec{Cmd: "true-ish", Env: map[string]string{"PATH": dir}}, ""},
	}
	if err := writeScript(dir+"/true-ish", "#!/bin/sh\nexit 0\n"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, m, tt.spec)
			if stdout != tt.want || code != 0 {
				t.Fatalf("stdout %q (stderr %q, code %d), want %q", stdout, stderr, code, tt.want)
			}
		})
	}
}

func TestUIDAndGID(t *testing.T) {
	if syscall.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	m := newManager(t, 1<<20)
	uid, gid := 65534, 65533
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"uid and gid", Spec{Cmd: "sh", Args: []string{"-c", "id -u; id -g; id -G"}, UID: &uid, GID: &gid, Cwd: "/"}, "65534\n65533\n65533\n"},
		{"gid only", Spec{Cmd: "sh", Args: []string{"-c", "id -u; id -g"}, GID: &gid, Cwd: "/"}, "0\n65533\n"},
		{"uid only takes its primary group", Spec{Cmd: "sh", Args: []string{"-c", "id -u; id -g"}, UID: &uid, Cwd: "/"},
			"65534\n" + passwdGroup(uid) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, m, tt.spec)
			if stdout != tt.want || code != 0 {
				t.Fatalf("stdout %q (stderr %q, code %d), want %q", stdout, stderr, code, tt.want)
			}
		})
	}
}

// passwdGroup is the primary group of uid per /etc/passwd, or the uid.
func passwdGroup(uid int) string {
	if u, err := user.LookupId(itoa(uid)); err == nil {
		return u.Gid
	}
	return itoa(uid)
}

func TestStartErrors(t *testing.T) {
	m := newManager(t, 1<<20)
	dir := t.TempDir()
	if err := writeFile(dir+"/data.txt", "not a program", 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/bad-interp", "#!/no/such/interpreter\n", 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    Spec
		code    int
		message string
	}{
		{"not found in PATH", Spec{Cmd: "no-such-command-xyz"}, 127, "command not found"},
		{"missing path", Spec{Cmd: "/no/such/file"}, 127, "no such file"},
		{"not executable", Spec{Cmd: dir + "/data.txt"}, 126, "permission denied"},
		{"directory", Spec{Cmd: dir}, 126, "is a directory"},
		{"missing interpreter", Spec{Cmd: dir + "/bad-interp"}, 127, "no such file"},
		{"missing cwd", Spec{Cmd: "true", Cwd: dir + "/nope"}, 127, "no such file"},
		{"relative to cwd", Spec{Cmd: "./data.txt", Cwd: dir}, 126, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Start(tt.spec, StartOptions{})
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want *StartError", err, err)
			}
			if se.Code != tt.code || !strings.Contains(strings.ToLower(se.Error()), tt.message) {
				t.Fatalf("code %d message %q, want %d containing %q", se.Code, se.Error(), tt.code, tt.message)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	m := newManager(t, 1<<20)
	neg := -1
	tests := []struct {
		name string
		spec Spec
	}{
		{"empty cmd", Spec{}},
		{"NUL in arg", Spec{Cmd: "echo", Args: []string{"a\x00b"}}},
		{"bad env key", Spec{Cmd: "echo", Env: map[string]string{"A=B": "c"}}},
		{"negative uid", Spec{Cmd: "echo", UID: &neg}},
		{"negative timeout", Spec{Cmd: "echo", TimeoutMs: -5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *ValidationError
			if _, err := m.Start(tt.spec, StartOptions{}); !errors.As(err, &ve) {
				t.Fatalf("error %v, want *ValidationError", err)
			}
		})
	}
}
