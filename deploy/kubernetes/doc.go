// Package kubernetes holds dflix's Kubernetes manifests (base/, overlays/dev,
// overlays/prod; components in components/kubernetes) and the tests that
// check them without a cluster: kustomize renders every overlay, every
// object decodes strictly into its Kubernetes or Dapr type, and the apps,
// ports, probes and component scopes agree with dapr/dapr.yaml and the code.
// docs/operations.md says how to deploy them. It has no Go API.
package kubernetes
