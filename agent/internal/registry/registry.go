// Package registry keeps what the agent started (processes, PTYs) by key:
// lookup, listing oldest first, the ones still running, and refusing new
// entries once the agent shuts down. The process and PTY managers share it.
package registry

import (
	"errors"
	"sort"
	"sync"
	"time"
)

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("registry: closed")

// Entry is something started at a time, with a pid, that ends.
type Entry[I any] interface {
	StartedAt() time.Time
	Pid() int
	// Done is closed when it has ended.
	Done() <-chan struct{}
	// Info describes it for listings.
	Info() I
}

// Registry holds entries of type E (described as I) under keys of type K.
// The zero value is not usable; call New.
type Registry[K comparable, E Entry[I], I any] struct {
	mu      sync.Mutex
	entries map[K]E
	closing bool
}

// New returns an empty registry.
func New[K comparable, E Entry[I], I any]() *Registry[K, E, I] {
	return &Registry[K, E, I]{entries: make(map[K]E)}
}

// Get returns the entry under key.
func (r *Registry[K, E, I]) Get(key K) (E, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[key]
	return e, ok
}

// List describes every entry, oldest first (ties broken by pid).
func (r *Registry[K, E, I]) List() []I {
	r.mu.Lock()
	all := make([]E, 0, len(r.entries))
	for _, e := range r.entries {
		all = append(all, e)
	}
	r.mu.Unlock()
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i].StartedAt(), all[j].StartedAt()
		if !a.Equal(b) {
			return a.Before(b)
		}
		return all[i].Pid() < all[j].Pid()
	})
	infos := make([]I, len(all))
	for i, e := range all {
		infos[i] = e.Info()
	}
	return infos
}

// Running returns the entries that have not ended.
func (r *Registry[K, E, I]) Running() []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []E
	for _, e := range r.entries {
		select {
		case <-e.Done():
		default:
			out = append(out, e)
		}
	}
	return out
}

// Add puts e under key, unless the registry is closed (ErrClosed).
func (r *Registry[K, E, I]) Add(key K, e E) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return ErrClosed
	}
	r.entries[key] = e
	return nil
}

// Remove forgets key if it still holds is; same reports that it did.
func (r *Registry[K, E, I]) Remove(key K, same func(E) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[key]; ok && same(e) {
		delete(r.entries, key)
		return true
	}
	return false
}

// Close makes Add refuse new entries; existing ones are untouched.
func (r *Registry[K, E, I]) Close() {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
}

// Closed reports whether Close was called.
func (r *Registry[K, E, I]) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}
