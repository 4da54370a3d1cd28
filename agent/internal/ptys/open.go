package ptys

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// tiocgptpeer is TIOCGPTPEER (Linux 4.13): open the slave of a master
// without going through /dev/pts by name.
const tiocgptpeer = 0x5441

// openPTY opens a new pseudo-terminal: the master as a pollable
// (non-blocking) file, so reads honour deadlines and Close interrupts them,
// and the slave as a plain descriptor for the child.
func openPTY() (*os.File, int, error) {
	fd, err := syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, -1, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	var unlock int32
	if err := ioctl(uintptr(fd), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); err != nil {
		syscall.Close(fd)
		return nil, -1, fmt.Errorf("unlock pty: %w", err)
	}
	slave, err := openSlave(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, -1, err
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), slave, nil
}

func openSlave(master int) (int, error) {
	flags := uintptr(syscall.O_RDWR | syscall.O_NOCTTY | syscall.O_CLOEXEC)
	slave, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(master), tiocgptpeer, flags)
	if errno == 0 {
		return int(slave), nil
	}
	if !errors.Is(errno, syscall.EINVAL) && !errors.Is(errno, syscall.ENOTTY) {
		return -1, fmt.Errorf("open pty slave: %w", errno)
	}
	var n uint32 // an older kernel: by name
	if err := ioctl(uintptr(master), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); err != nil {
		return -1, fmt.Errorf("pty number: %w", err)
	}
	name := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", name, err)
	}
	return fd, nil
}

// winsize is struct winsize from <asm-generic/termios.h>.
type winsize struct{ rows, cols, xpixel, ypixel uint16 }

// setSize sets the terminal's size (TIOCSWINSZ); the kernel sends SIGWINCH
// to its foreground process group when it changes.
func setSize(master *os.File, cols, rows int) error {
	ws := winsize{rows: uint16(rows), cols: uint16(cols)}
	raw, err := master.SyscallConn()
	if err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	var ierr error
	if err := raw.Control(func(fd uintptr) {
		ierr = ioctl(fd, syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws)))
	}); err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	if ierr != nil {
		return fmt.Errorf("resize: %w", ierr)
	}
	return nil
}

func ioctl(fd, req, arg uintptr) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, req, arg); errno != 0 {
		return errno
	}
	return nil
}
