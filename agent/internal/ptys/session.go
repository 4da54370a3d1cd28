package ptys

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// killRounds bounds how often the session is scanned again for processes
// forked while it was being killed.
const killRounds = 20

// signalSession sends sig to every live process whose session id is sid
// (field 6 of /proc/<pid>/stat), scanning again until a scan finds none it
// has not signalled yet (a process may fork while the others are
// signalled). It returns how many processes it signalled.
func signalSession(sid int, sig syscall.Signal) (int, error) {
	signalled := make(map[int]bool)
	for round := 0; round < killRounds; round++ {
		pids, err := sessionMembers(sid)
		if err != nil {
			return len(signalled), err
		}
		fresh := 0
		for _, pid := range pids {
			if sig != syscall.SIGKILL && signalled[pid] {
				continue // other signals are sent once
			}
			if err := syscall.Kill(pid, sig); err == nil && !signalled[pid] {
				signalled[pid] = true
				fresh++
			}
		}
		if fresh == 0 {
			break
		}
	}
	return len(signalled), nil
}

// sessionMembers lists the processes of session sid that are not zombies.
func sessionMembers(sid int) ([]int, error) {
	dir, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // it has gone
		}
		state, session, err := parseStat(stat)
		if err == nil && session == sid && state != 'Z' && state != 'X' {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// parseStat reads the state (field 3) and session id (field 6) from the
// contents of /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseStat(stat []byte) (byte, int, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, 0, errors.New("stat: no command name")
	}
	fields := bytes.Fields(stat[end+1:])
	// state ppid pgrp session ...
	if len(fields) < 4 || len(fields[0]) != 1 {
		return 0, 0, errors.New("stat: too few fields")
	}
	sid, err := strconv.Atoi(string(fields[3]))
	if err != nil {
		return 0, 0, fmt.Errorf("stat: session: %w", err)
	}
	return fields[0][0], sid, nil
}
