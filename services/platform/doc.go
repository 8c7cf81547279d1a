// Package platform defines the ports every dflix service depends on (State,
// Publisher and Subscriber, Invoker, Blob), the error kinds that cross every
// boundary, and the generic transport helpers (Handle, Call) that expose any
// service API over HTTP and call it back through an Invoker.
//
// Adapters live beside it: platform/embedded runs everything in one process on
// disk, platform/dapr talks to a Dapr sidecar. Services import only this
// package, never an adapter; cmd/dflix chooses.
package platform
