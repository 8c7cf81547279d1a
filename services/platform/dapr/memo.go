package dapr

import (
	"sync"
	"time"
)

// memoSize bounds the deliveries a Subscriber remembers between retries.
const memoSize = 4096

// memoTTL is how long a remembered delivery is kept at least.
const memoTTL = 10 * time.Minute

// memo remembers, for deliveries the sidecar will retry, which handlers
// already settled the event (acknowledged or dropped it), so a retry runs only
// the others, and whether failures were recorded. It lives in memory: the
// sidecar retries on the same instance; a redelivery elsewhere runs every
// handler again, which at-least-once delivery allows.
type memo struct {
	mu      sync.Mutex
	max     int
	entries map[string]memoEntry
}

type memoEntry struct {
	settled  map[string]outcome
	recorded bool
	at       time.Time
}

func newMemo(size int) *memo {
	return &memo{max: size, entries: map[string]memoEntry{}}
}

// get returns what is remembered of key (the zero entry when nothing).
func (m *memo) get(key string) memoEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries[key]
}

// put adds the settled outcomes among fresh to key's entry.
func (m *memo) put(key string, fresh []outcome, recorded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		m.evict()
		e = memoEntry{settled: map[string]outcome{}}
	}
	for _, o := range fresh {
		if o.err == nil || o.drop {
			e.settled[o.sub] = o
		}
	}
	e.recorded = e.recorded || recorded
	e.at = time.Now()
	m.entries[key] = e
}

func (m *memo) remove(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
}

// evict makes room for one entry: first the expired ones, then any.
func (m *memo) evict() {
	if len(m.entries) < m.max {
		return
	}
	cutoff := time.Now().Add(-memoTTL)
	for k, e := range m.entries {
		if e.at.Before(cutoff) {
			delete(m.entries, k)
		}
	}
	for k := range m.entries {
		if len(m.entries) < m.max {
			return
		}
		delete(m.entries, k)
	}
}
