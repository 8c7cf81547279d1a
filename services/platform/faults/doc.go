// Package faults injects the delivery faults of a real message broker at
// the seam every service already uses, a platform.Subscriber: events
// delivered twice (at once, or again after later events), events held back
// and redelivered after later events of their topic (reordering), and
// events delivered late. Handlers must leave the same final state as on a
// clean bus (design.md, Events), and tests use an Injector to prove it.
//
// Every decision comes from a math/rand/v2 source seeded per subscription
// from Config.Seed, so the faults a subscription sees depend only on the
// seed and the order in which its events arrive. The Injector counts what
// it injected (Counts) and, when the publisher is wrapped too, knows which
// published events each subscription has not settled yet (Pending), so a
// test can wait for a quiet platform without sleeping.
//
// A held-back event is refused with ErrHeld, a retryable error: the adapter
// keeps it and redelivers it while later events go on, which is how a
// broker reorders in practice, and a poison message held back still reaches
// the adapter's dead letters when its handler drops it. Each refusal uses
// one of the adapter's delivery attempts.
package faults
