package main

import (
	"runtime"
	"sync"
)

// spareThreads is how many OS threads the agent makes at start-up.
const spareThreads = 32

// prewarmThreads has the Go runtime create n OS threads now and keep them
// idle for later. A fork bomb in the sandbox takes every pid the pids limit
// allows, threads included; a Go program that then needs a new thread (a
// goroutine blocked in a syscall hands its processor to another thread)
// cannot get one and dies, and with PID 1 the whole sandbox goes. The
// runtime reuses idle threads before it asks the kernel for new ones and
// never ends them, so threads made while pids are plentiful carry the agent
// through. Each goroutine holds its own thread while locked to it; once all
// hold one, they unlock and the threads go idle.
func prewarmThreads(n int) {
	var locked sync.WaitGroup
	release := make(chan struct{})
	var done sync.WaitGroup
	for i := 0; i < n; i++ {
		locked.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			locked.Done()
			<-release
			runtime.UnlockOSThread()
		}()
	}
	locked.Wait()
	close(release)
	done.Wait()
}
