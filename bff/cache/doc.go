// Package cache keeps the BFF's hot catalog reads in memory: a published
// video by id, the category, genre and cast-member lists, and categories,
// genres and cast members by id. Catalog wraps any catalog.API and is one
// itself; what it does not cache passes straight through.
//
// Entries are dropped when catalog publishes a change (Catalog.Subscription,
// broadcast so that every BFF replica drops its own copy) and expire after a
// TTL in case an event is lost. A fetch that was under way when a change was
// announced does not store what it read, and a video is never stored at a
// version older than the newest one an event announced, so a racing read or
// a lagging catalog replica cannot bring stale data back. Only what every
// caller may see is stored: an unpublished video, a not-found or an error is
// fetched anew each time, with the caller's own request. Concurrent misses of
// one key share one fetch.
//
// Writes made through the cache drop what they change at once, so an admin
// reads their own writes on this replica before the event arrives.
package cache
