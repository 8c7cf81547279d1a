package upload

import (
	"context"
	"fmt"
	"sync"
)

// keyedMutex serializes the writers of one upload within the process (a
// PATCH, a completion, a termination, the sweep), so that a client's retry
// waits for its broken request to end instead of racing it. Across replicas
// the record's ETag does the same job. Slots are freed when unused, so it
// does not grow with the number of uploads seen.
type keyedMutex struct {
	mu    sync.Mutex
	slots map[string]*slot
}

type slot struct {
	held chan struct{} // a one-token semaphore
	refs int           // holders and waiters
}

func newKeyedMutex() *keyedMutex { return &keyedMutex{slots: map[string]*slot{}} }

// lock waits for the lock of key and returns its unlock; it gives up when
// ctx ends.
//
// Errors: the context's error (KindUnavailable) when ctx ends first.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	s := k.slots[key]
	if s == nil {
		s = &slot{held: make(chan struct{}, 1)}
		k.slots[key] = s
	}
	s.refs++
	k.mu.Unlock()
	select {
	case s.held <- struct{}{}:
		return func() { <-s.held; k.release(key, s) }, nil
	case <-ctx.Done():
		k.release(key, s)
		return nil, fmt.Errorf("wait for upload lock: %w", ctx.Err())
	}
}

// release drops one reference to s and frees it when unused.
func (k *keyedMutex) release(key string, s *slot) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s.refs--
	if s.refs == 0 {
		delete(k.slots, key)
	}
}

// tryLock takes the lock of key if nobody holds or waits for it.
func (k *keyedMutex) tryLock(key string) (func(), bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.slots[key] != nil {
		return nil, false
	}
	s := &slot{held: make(chan struct{}, 1), refs: 1}
	s.held <- struct{}{}
	k.slots[key] = s
	return func() { <-s.held; k.release(key, s) }, true
}
