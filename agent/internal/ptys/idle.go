package ptys

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// waitingSyscalls are the system calls a program sits in while it waits for
// input (read, poll, select and their variants), by architecture, as
// /proc/<pid>/syscall reports them.
var waitingSyscalls = map[string]map[int]bool{
	"amd64": {0: true, 7: true, 23: true, 232: true, 270: true, 271: true, 281: true, 441: true},
	"arm64": {63: true, 72: true, 73: true, 22: true, 441: true},
}

// readSyscall is read(2) by architecture: waiting in it counts only when the
// descriptor is a terminal (a shell reading a $(...) pipe is busy, not idle).
var readSyscall = map[string]int{"amd64": 0, "arm64": 63}

// pollInterval is how often WaitIdle looks at the terminal.
const pollInterval = 2 * time.Millisecond

// settleFor is how long the terminal must stay idle before it counts as
// idle: bytes just written to the master can sit in the kernel's flip
// buffer, invisible to TIOCINQ, for a moment before the program wakes up.
const settleFor = 20 * time.Millisecond

// WaitIdle returns once the terminal is idle — every byte written to it has
// been read, and its foreground program is asleep waiting for more input —
// or when maxWait has passed, whichever comes first. A resize applied then
// takes effect in order with the input sent before it: a command typed just
// before a resize still sees the old size, as on a real terminal where the
// keystrokes were processed before the window changed.
func (p *PTY) WaitIdle(maxWait time.Duration) {
	deadline := time.Now().Add(maxWait)
	var idleSince time.Time
	for now := time.Now(); now.Before(deadline); now = time.Now() {
		p.mu.Lock()
		exited := p.exited
		p.mu.Unlock()
		if exited {
			return
		}
		switch {
		case !p.idle():
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = now
		case now.Sub(idleSince) >= settleFor:
			return
		}
		time.Sleep(pollInterval)
	}
}

func (p *PTY) idle() bool {
	pending, err := inputPending(p.master)
	if err != nil || pending > 0 {
		return false
	}
	pgrp, err := foregroundGroup(p.master)
	if err != nil {
		return false
	}
	return waitingForInput(pgrp)
}

// inputPending is the number of bytes written to the terminal that its
// programs have not read yet (TIOCINQ on the slave side).
func inputPending(master *os.File) (int, error) {
	raw, err := master.SyscallConn()
	if err != nil {
		return 0, err
	}
	var slave uintptr
	var openErr syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		flags := uintptr(syscall.O_RDONLY | syscall.O_NOCTTY | syscall.O_CLOEXEC | syscall.O_NONBLOCK)
		slave, _, openErr = syscall.Syscall(syscall.SYS_IOCTL, fd, tiocgptpeer, flags)
	}); err != nil {
		return 0, err
	}
	if openErr != 0 {
		return 0, fmt.Errorf("open pty slave: %w", openErr)
	}
	defer syscall.Close(int(slave))
	var n int32
	if err := ioctl(slave, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); err != nil {
		return 0, err
	}
	return int(n), nil
}

// foregroundGroup is the terminal's foreground process group (TIOCGPGRP).
func foregroundGroup(master *os.File) (int, error) {
	raw, err := master.SyscallConn()
	if err != nil {
		return 0, err
	}
	var pgrp int32
	var ierr error
	if err := raw.Control(func(fd uintptr) {
		ierr = ioctl(fd, syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgrp)))
	}); err != nil {
		return 0, err
	}
	return int(pgrp), ierr
}

// waitingForInput reports whether process pid is asleep in a system call
// that waits for input. Unknown (unreadable /proc, other architecture)
// counts as not waiting, so the caller falls back on its time limit.
func waitingForInput(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	end := strings.LastIndexByte(string(stat), ')')
	if end < 0 || end+2 >= len(stat) || stat[end+2] != 'S' {
		return false
	}
	call, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(call))
	if len(fields) == 0 {
		return false
	}
	nr, err := strconv.Atoi(fields[0])
	if err != nil || !waitingSyscalls[runtime.GOARCH][nr] {
		return false
	}
	if read, ok := readSyscall[runtime.GOARCH]; ok && nr == read {
		return len(fields) > 1 && readsTerminal(pid, fields[1])
	}
	return true
}

// readsTerminal reports whether descriptor fdHex ("0x0") of pid is a terminal.
func readsTerminal(pid int, fdHex string) bool {
	fd, err := strconv.ParseInt(strings.TrimPrefix(fdHex, "0x"), 16, 32)
	if err != nil {
		return false
	}
	target, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.FormatInt(fd, 10))
	return err == nil && (strings.HasPrefix(target, "/dev/pts/") || target == "/dev/tty")
}
