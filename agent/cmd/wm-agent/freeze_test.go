package main

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
)

func TestFreezeAndThawSignalAllButInitAndThemselves(t *testing.T) {
	var sent []syscall.Signal
	signalAll = func(sig syscall.Signal) error { sent = append(sent, sig); return nil }
	t.Cleanup(func() { signalAll = func(sig syscall.Signal) error { return syscall.Kill(-1, sig) } })
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
	t.Cleanup(func() { signalAll = func(sig syscall.Signal) error { return syscall.Kill(-1, sig) } })
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
