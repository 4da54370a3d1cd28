package ptys

import (
	"errors"
	"time"
)

// Why a client was detached.
var (
	ErrTakenOver = errors.New("another client attached to the pty")
	ErrStalled   = errors.New("the client took no output for too long and was detached")
)

// Client is the one connection attached to a PTY. While it is attached,
// output it has not taken is never evicted: reading the master waits
// instead (back-pressure). A client that holds output back without taking
// any for the client timeout is detached, as is the previous client when
// another attaches.
type Client struct {
	p        *PTY
	next     int64     // offset of the next byte to take; guarded by p.mu
	lastTake time.Time // guarded by p.mu
	gone     chan struct{}
	reason   error // why it was detached; guarded by p.mu
	detached bool  // guarded by p.mu
}

// Attach attaches a client that takes output from offset after (clamped to
// what is kept; -1: the oldest kept byte), detaching the previous client.
// It returns the client and the offset its output starts at.
func (p *PTY) Attach(after int64) (*Client, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.client; old != nil {
		old.detachLocked(ErrTakenOver)
	}
	start := p.ring.start
	if after >= 0 {
		start = p.ring.clamp(after)
	}
	c := &Client{p: p, next: start, lastTake: time.Now(), gone: make(chan struct{})}
	p.client = c
	p.stopGraceLocked()
	p.wakeReaderLocked()
	return c, start
}

// Next takes up to max bytes of output. With nothing to take it returns
// either the shell's exit code (exited) or a channel closed when there may
// be more. A detached client gets the reason as err.
func (c *Client) Next(max int) (data []byte, code int, exited bool, more <-chan struct{}, err error) {
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.detached {
		return nil, 0, false, nil, c.reason
	}
	if p.ring.unreadFrom(c.next) > 0 {
		from := p.ring.clamp(c.next) // later than c.next only if evicted
		data = p.ring.read(from, max)
		c.next = from + int64(len(data))
		c.lastTake = time.Now()
		p.wakeReaderLocked()
		return data, 0, false, nil, nil
	}
	if p.exited {
		return nil, p.exitCode, true, nil, nil
	}
	if p.changed == nil {
		p.changed = make(chan struct{})
	}
	return nil, 0, false, p.changed, nil
}

// Gone is closed when the client has been detached: by Detach, by another
// client attaching, or for stalling.
func (c *Client) Gone() <-chan struct{} { return c.gone }

// Detach detaches the client (its connection ended). The PTY's grace
// period starts if no other client has taken it over.
func (c *Client) Detach() {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.detachLocked(nil)
}

// Reason is why the client was detached (nil while attached or when it
// detached itself).
func (c *Client) Reason() error {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.reason
}

func (c *Client) detachLocked(reason error) {
	if c.detached {
		return
	}
	c.detached, c.reason = true, reason
	close(c.gone)
	p := c.p
	if p.client == c {
		p.client = nil
		if reason != ErrTakenOver {
			p.armGraceLocked()
		}
		p.wakeReaderLocked()
	}
}

// waitRoomLocked returns once n more bytes can be kept without evicting
// any the attached client has not taken, or once the shell has exited.
// Meanwhile it releases p.mu, and it detaches a client that keeps it
// waiting without taking anything for the client timeout (counted from
// when this wait began at the earliest).
func (p *PTY) waitRoomLocked(n int) {
	began := time.Now()
	for !p.exited && p.client != nil {
		c := p.client
		unread := p.ring.unreadFrom(c.next)
		if unread == 0 || unread+n <= p.ring.size() {
			return
		}
		deadline := c.lastTake
		if deadline.Before(began) {
			deadline = began
		}
		deadline = deadline.Add(p.m.cfg.ClientTimeout)
		if !time.Now().Before(deadline) {
			c.detachLocked(ErrStalled)
			continue
		}
		if p.took == nil {
			p.took = make(chan struct{})
		}
		took := p.took
		p.mu.Unlock()
		timer := time.NewTimer(time.Until(deadline))
		select {
		case <-took:
		case <-timer.C:
		}
		timer.Stop()
		p.mu.Lock()
	}
}
