package dapr

// The components and policies of the test sidecars. components/ mirrors
// them for real deployments.

import (
	"fmt"
	"slices"
	"strings"
)

const redisStateYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.redis
  version: v1
  metadata:
  - name: redisHost
    value: "{{.Redis}}"
  - name: redisPassword
    value: ""
  - name: actorStateStore
    value: "false"
`

const sqliteStateYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: sqlitestore
spec:
  type: state.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: "{{.DataDir}}/state.db"
  - name: busyTimeout
    value: "5s"
`

const pgStateYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pgstore
spec:
  type: state.postgresql
  version: v1
  metadata:
  - name: connectionString
    value: "{{.Postgres}}"
  - name: tableName
    value: "dflix_dapr_test_state"
`

// pubsubYAML is the pubsub and broadcast components on the loopback Redis.
var pubsubYAML = pubSubPair("pubsub.redis", []string{"redisHost", "{{.Redis}}", "redisPassword", ""}, nil, nil)

// pubSubPair renders one broker's two pub/sub components, as every
// components/ set declares them: "pubsub", whose consumers are one group
// per app id ({appID}), and "broadcast", one per sidecar ({uuid}), so each
// replica gets every event. meta (name, value, name, value, ...) goes into
// both; pubsubOnly and broadcastOnly into one each.
func pubSubPair(typ string, meta, pubsubOnly, broadcastOnly []string) string {
	return component("pubsub", typ, slices.Concat(meta, pubsubOnly, []string{"consumerID", "{appID}"})...) +
		"---\n" + component("broadcast", typ, slices.Concat(meta, broadcastOnly, []string{"consumerID", "{uuid}"})...)
}

// component renders a Dapr component of type typ named name with metadata
// given as name, value pairs; every value is quoted.
func component(name, typ string, meta ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\nspec:\n  type: %s\n  version: v1\n  metadata:\n", name, typ)
	for i := 0; i+1 < len(meta); i += 2 {
		fmt.Fprintf(&b, "  - name: %s\n    value: %q\n", meta[i], meta[i+1])
	}
	return b.String()
}

const blobsYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: blobs
spec:
  type: bindings.localstorage
  version: v1
  metadata:
  - name: rootPath
    value: "{{.DataDir}}/blobs"
`

const resiliencyYAML = `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: dflix-test
spec:
  policies:
    retries:
      eventRetries:
        policy: constant
        duration: 200ms
        maxRetries: {{.MaxRetries}}
      # Overrides the built-in 3 retries a second apart of a failed
      # invocation, so an unreachable app fails fast.
      DaprBuiltInServiceRetries:
        policy: constant
        duration: 50ms
        maxRetries: 1
  targets:
    components:
      pubsub:
        inbound:
          retry: eventRetries
      broadcast:
        inbound:
          retry: eventRetries
`

const configYAML = `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: dflix-test
spec:
  nameResolution:
    component: kubernetes
    configuration:
      template: '{{.NameTemplate}}'
`
