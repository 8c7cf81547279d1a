package platform

import "time"

// Clock tells the time; services take one so tests can move time.
type Clock func() time.Time

// SystemClock is the wall clock.
func SystemClock() time.Time { return time.Now() }
