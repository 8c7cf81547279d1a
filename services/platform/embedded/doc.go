// Package embedded implements the platform ports for a single process with
// no external servers: a bbolt-backed State, a durable in-process pub/sub Bus
// on its own bbolt file, an Invoker that calls registered http.Handlers in
// memory, and file-system Blobs.
//
// Everything here is durable across a crash of the process: an acknowledged
// state write, a published event and a stored blob survive kill -9. Each
// bbolt file is locked while open, so a file is used by one process (and one
// State or Bus) at a time.
package embedded
