package dapr

// The components and policies of the test sidecars. components/ mirrors
// them for real deployments.

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

const pubsubYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.redis
  version: v1
  metadata:
  - name: redisHost
    value: "{{.Redis}}"
  - name: redisPassword
    value: ""
  - name: consumerID
    value: "{appID}"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: broadcast
spec:
  type: pubsub.redis
  version: v1
  metadata:
  - name: redisHost
    value: "{{.Redis}}"
  - name: redisPassword
    value: ""
  - name: consumerID
    value: "{uuid}"
`

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
