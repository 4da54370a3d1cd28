package process

import (
	"fmt"
	"os"
	"syscall"
)

// pipeSet holds the pipes of one spawn: the child's ends are raw blocking
// descriptors (closed right after fork), the agent's ends are non-blocking
// *os.File so reads and writes can carry deadlines.
type pipeSet struct {
	childStdin, childStdout, childStderr int
	stdin                                *os.File // nil without a stdin pipe
	stdout, stderr                       *os.File
}

func openPipes(withStdin bool) (*pipeSet, error) {
	ps := &pipeSet{childStdin: -1, childStdout: -1, childStderr: -1}
	var err error
	if ps.stdout, ps.childStdout, err = pipe(false); err != nil {
		return nil, err
	}
	if ps.stderr, ps.childStderr, err = pipe(false); err != nil {
		ps.closeChildEnds()
		ps.closeParentEnds()
		return nil, err
	}
	if withStdin {
		if ps.stdin, ps.childStdin, err = pipe(true); err != nil {
			ps.closeChildEnds()
			ps.closeParentEnds()
			return nil, err
		}
	}
	return ps, nil
}

// pipe returns the agent's end as a pollable file and the child's end as a
// descriptor; agentWrites says which end the agent keeps.
func pipe(agentWrites bool) (*os.File, int, error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, -1, fmt.Errorf("create pipe: %w", err)
	}
	mine, theirs := fds[0], fds[1]
	if agentWrites {
		mine, theirs = fds[1], fds[0]
	}
	if err := syscall.SetNonblock(mine, true); err != nil {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, -1, fmt.Errorf("set pipe non-blocking: %w", err)
	}
	return os.NewFile(uintptr(mine), "pipe"), theirs, nil
}

func (ps *pipeSet) closeChildEnds() {
	for _, fd := range []*int{&ps.childStdin, &ps.childStdout, &ps.childStderr} {
		if *fd >= 0 {
			syscall.Close(*fd)
			*fd = -1
		}
	}
}

func (ps *pipeSet) closeParentEnds() {
	for _, f := range []*os.File{ps.stdin, ps.stdout, ps.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

// RawReadChunk is the most read at once from a raw stdout pipe.
const RawReadChunk = 256 << 10

// rawPipeBytes is the pipe size asked for raw stdout: with the kernel's
// default (64 KiB) each read moves at most that much, and a fast writer
// waits for the reader more often.
const rawPipeBytes = 1 << 20

// fSetPipeSz is F_SETPIPE_SZ (fcntl.h), which package syscall lacks.
const fSetPipeSz = 1031

// growPipe asks for a pipe of n bytes; a refusal (over
// /proc/sys/fs/pipe-max-size for an unprivileged agent, or past the user's
// pipe budget) leaves it as it was, which is only slower.
func growPipe(f *os.File, n int) {
	raw, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, uintptr(n))
	})
}
