package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallFile(t *testing.T) {
	tests := []struct {
		name    string
		dest    string // relative to a temp dir
		prepare func(t *testing.T, dest string)
		wantErr string
	}{
		{name: "new file", dest: "bin/wm-agent"},
		{name: "deep parents created", dest: "a/b/c/wm-agent"},
		{
			name: "replaces an existing file",
			dest: "wm-agent",
			prepare: func(t *testing.T, dest string) {
				if err := os.WriteFile(dest, []byte("old contents that are longer than new"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "refuses a directory",
			dest: "taken",
			prepare: func(t *testing.T, dest string) {
				if err := os.Mkdir(dest, 0o755); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "is a directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "source")
			content := []byte("#!agent " + tt.name)
			if err := os.WriteFile(src, content, 0o600); err != nil {
				t.Fatal(err)
			}
			dest := filepath.Join(dir, tt.dest)
			if tt.prepare != nil {
				tt.prepare(t, dest)
			}
			err := installFile(src, dest)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("installFile: got %v, want an error containing %q", err, tt.wantErr)
				}
				assertNoTempLeft(t, filepath.Dir(dest))
				return
			}
			if err != nil {
				t.Fatalf("installFile: %v", err)
			}
			assertInstalled(t, dest, content)
			assertNoTempLeft(t, filepath.Dir(dest))
		})
	}
}

func TestInstallFileMissingSource(t *testing.T) {
	dir := t.TempDir()
	err := installFile(filepath.Join(dir, "absent"), filepath.Join(dir, "out", "wm-agent"))
	if err == nil {
		t.Fatal("installFile of a missing source succeeded")
	}
	if _, statErr := os.Stat(filepath.Join(dir, "out", "wm-agent")); !os.IsNotExist(statErr) {
		t.Fatalf("dest exists after a failed install: %v", statErr)
	}
}

func TestInstallCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "no destination", args: nil},
		{name: "empty destination", args: []string{""}},
		{name: "two destinations", args: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(append([]string{"install"}, tt.args...), &bytes.Buffer{}, &stderr); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), installUsage) {
				t.Fatalf("stderr %q lacks the usage", stderr.String())
			}
		})
	}
}

// TestInstallCopiesItself runs the test binary as the agent (see TestMain):
// `install DEST` must leave an identical, executable copy of it, and need
// no token.
func TestInstallCopiesItself(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "wm", "bin", "wm-agent")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "install", dest)
	cmd.Env = append(os.Environ(), runAsAgentEnv+"=1", tokenEnv+"=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("install: %v (stderr %q)", err, stderr.String())
	}
	want, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	assertInstalled(t, dest, want)

	// The copy is the agent: it runs.
	run := exec.Command(dest, "--version")
	run.Env = append(os.Environ(), runAsAgentEnv+"=1")
	out, err := run.Output()
	if err != nil || strings.TrimSpace(string(out)) != version {
		t.Fatalf("installed copy --version: %v, printed %q, want %q", err, out, version)
	}
}

func assertInstalled(t *testing.T, dest string, want []byte) {
	t.Helper()
	info, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o755 {
		t.Fatalf("mode %o, want 755", perm)
	}
	got, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("dest holds %d bytes that differ from the %d of the source", len(got), len(want))
	}
}

func assertNoTempLeft(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}
