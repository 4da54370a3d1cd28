package main

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
)

// inSandbox has the subcommands believe PID 1 is the agent, and signal nothing real.
func inSandbox(t *testing.T) {
	t.Helper()
	realUnder, realSignal := underAgent, signalAll
	underAgent = func() bool { return true }
	t.Cleanup(func() { underAgent, signalAll = realUnder, realSignal })
}

func TestFreezeRefusesOutsideASandbox(t *testing.T) {
	realSignal := signalAll
	t.Cleanup(func() { signalAll = realSignal })
	signalAll = func(syscall.Signal) error { t.Fatal("signalled outside a sandbox"); return nil }
	// The test runs under a PID 1 that is not the agent (init, or the test runner in a container).
	var stderr bytes.Buffer
	if code := run([]string{"freeze"}, &bytes.Buffer{}, &stderr); code != 1 {
		t.Fatalf("freeze outside a sandbox: exit %d, want 1", code)
	}
	if !bytes.Contains(stderr.Bytes(), []byte("PID 1 is not the agent")) {
		t.Fatalf("stderr: %q", stderr.String())
	}
}

func TestFreezeAndThawSignalAllButInitAndThemselves(t *testing.T) {
	inSandbox(t)
	var sent []syscall.Signal
	signalAll = func(sig syscall.Signal) error { sent = append(sent, sig); return nil }
	var stderr bytes.Buffer
	if code := run([]string{"freeze"}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("freeze: exit %d, %s", code, stderr.String())
	}
	if code := run([]string{"thaw"}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("thaw: exit %d, %s", code, stderr.String())
	}
	if len(sent) != 2 || sent[0] != syscall.SIGSTOP || sent[1] != syscall.SIGCONT {
		t.Fatalf("signals sent: %v", sent)
	}
}

func TestFreezeFailures(t *testing.T) {
	inSandbox(t)
	signalAll = func(syscall.Signal) error { return syscall.ESRCH }
	if code := run([]string{"freeze"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("no other process is success, got exit %d", code)
	}
	signalAll = func(syscall.Signal) error { return errors.New("operation not permitted") }
	var stderr bytes.Buffer
	if code := run([]string{"thaw"}, &bytes.Buffer{}, &stderr); code != 1 {
		t.Fatalf("a failed kill is exit 1, got %d", code)
	}
	if !bytes.Contains(stderr.Bytes(), []byte("operation not permitted")) {
		t.Fatalf("stderr: %q", stderr.String())
	}
	if code := run([]string{"freeze", "now"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Fatalf("arguments are a usage error, got %d", code)
	}
}
