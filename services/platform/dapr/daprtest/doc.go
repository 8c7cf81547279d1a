// Package daprtest starts real daprd sidecars for integration tests outside
// the dapr package: a sidecar without an app (or with one, on a given app
// port), with the component files a test writes, on free loopback ports,
// stopped when the test ends. Tests that use it run when DFLIX_DAPR_TESTS=1
// or CI=true, and fail (never skip) in CI when daprd is missing.
package daprtest
