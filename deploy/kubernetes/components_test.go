package kubernetes

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestComponentScopes checks that in each overlay every app id of the
// Deployments loads exactly the components its code uses (and the pubsubs
// of its subscriptions), and no other app loads them: each service reaches
// only its own store, and only the apps that move media reach the bucket.
func TestComponentScopes(t *testing.T) {
	root := repoRoot(t)
	for _, o := range overlays {
		t.Run(o.name, func(t *testing.T) {
			m := render(t, filepath.Join(root, "deploy", "kubernetes", "overlays", o.name))
			apps := daprDeployments(t, m)
			needs := map[string][]string{}
			for app := range apps {
				require.Contains(t, uses, app, "this test's table says what %s uses", app)
				for _, c := range uses[app] {
					needs[c] = append(needs[c], app)
				}
			}
			for name, s := range m.Subscriptions {
				require.NotEmpty(t, s.Scopes, "subscription %s is scoped", name)
				assert.Equal(t, "/events/"+name, s.Spec.Routes.Default, name)
				for _, app := range s.Scopes {
					require.Contains(t, apps, app, "subscription %s is scoped to a deployed app", name)
					if !slices.Contains(needs[s.Spec.PubsubName], app) {
						needs[s.Spec.PubsubName] = append(needs[s.Spec.PubsubName], app)
					}
				}
			}
			for name, apps := range needs {
				require.Contains(t, m.Components, name, "a component the code uses")
				assert.Equal(t, sortedCopy(apps), sortedCopy(m.Components[name].Scopes), "%s: scoped to exactly the apps that use it", name)
			}
			for name := range m.Components {
				assert.Contains(t, needs, name, "component %s is used by some app", name)
			}
			for app := range apps {
				store := m.Components[app+"-state"]
				assert.True(t, strings.HasPrefix(store.Spec.Type, "state."), "%s has its own state store", app)
				assert.Equal(t, []string{app}, store.Scopes)
			}
		})
	}
}

// TestKubernetesSetsMatchLocal checks that each Kubernetes component set is
// its local namesake (components/<set>) moved into a cluster: the same
// resources, component types, subscriptions, resiliency and tuning, with
// only addresses, credentials and the blob store changed; and that the
// cluster's Configuration traces and measures as dapr/config.yaml does.
func TestKubernetesSetsMatchLocal(t *testing.T) {
	root := repoRoot(t)
	// Where the servers are and how to log in differ by nature; the cron
	// schedule is slower in a cluster (renewals.yaml says why).
	placeSpecific := map[string]bool{"redisHost": true, "redisPassword": true, "connectionString": true, "schedule": true}
	for _, set := range []string{"redis", "rabbitmq-postgres"} {
		t.Run(set, func(t *testing.T) {
			local := decodeDir(t, filepath.Join(root, "components", set))
			k8s := render(t, filepath.Join(root, "components", "kubernetes", set))
			assert.Equal(t, ids(local), ids(k8s), "the same resources")

			for name, lc := range local.Components {
				kc := k8s.Components[name]
				if name == "blobs" {
					assert.Equal(t, "bindings.aws.s3", kc.Spec.Type)
					continue
				}
				assert.Equal(t, lc.Spec.Type, kc.Spec.Type, name)
				assert.Equal(t, lc.Spec.Version, kc.Spec.Version, name)
				if len(lc.Scopes) > 0 {
					assert.Equal(t, lc.Scopes, kc.Scopes, "%s keeps its scopes", name)
				}
				for _, li := range lc.Spec.Metadata {
					ki, ok := kc.item(li.Name)
					if !assert.True(t, ok, "%s keeps %s", name, li.Name) || placeSpecific[li.Name] {
						continue
					}
					assert.Equal(t, li, ki, "%s: %s as on one machine", name, li.Name)
				}
			}
			for name, ls := range local.Subscriptions {
				ks := k8s.Subscriptions[name]
				msg := "components/kubernetes/common/subscription-%s.yaml is a copy of components/subscriptions/%[1]s.yaml: copy it again"
				assert.Equal(t, ls.Spec, ks.Spec, msg, name)
				assert.Equal(t, ls.Scopes, ks.Scopes, msg, name)
			}
			for name, lr := range local.Resiliencies {
				assert.Equal(t, lr.Spec, k8s.Resiliencies[name].Spec,
					"resiliency %s: components/kubernetes/common/resiliency.yaml is a copy of dapr/resiliency.yaml: copy it again", name)
			}
		})
	}

	t.Run("configuration", func(t *testing.T) {
		local, err := decodeFile(filepath.Join(root, "dapr", "config.yaml"))
		require.NoError(t, err)
		base, err := decodeFile(filepath.Join(root, "deploy", "kubernetes", "base", "dapr-config.yaml"))
		require.NoError(t, err)
		for name, lc := range local.Configurations {
			kc, ok := base.Configurations[name]
			require.True(t, ok, "Configuration %s", name)
			assert.Equal(t, lc.Spec.Tracing, kc.Spec.Tracing)
			assert.Equal(t, lc.Spec.Metrics, kc.Spec.Metrics)
			assert.Nil(t, kc.Spec.NameResolution, "the cluster's own name resolution, not the loopback table")
		}
	})
}

// TestSecretsReferencedNotCommitted checks that no Secret is rendered or
// committed, that every credential a component needs comes from a
// secretKeyRef through the kubernetes secret store, that the S3 binding is
// set up for the adapter's base64 payloads, and that docs/operations.md
// names every Secret the manifests refer to, so an operator knows what to
// create.
func TestSecretsReferencedNotCommitted(t *testing.T) {
	root := repoRoot(t)
	sensitive := map[string]bool{"redisPassword": true, "connectionString": true, "accessKey": true, "secretKey": true, "password": true}
	docs, err := os.ReadFile(filepath.Join(root, "docs", "operations.md"))
	require.NoError(t, err)
	for _, o := range overlays {
		t.Run(o.name, func(t *testing.T) {
			m := render(t, filepath.Join(root, "deploy", "kubernetes", "overlays", o.name))
			for _, id := range m.objectsByKindID {
				assert.False(t, strings.HasPrefix(id, "Secret/"), "%s committed", id)
			}
			secrets := map[string]bool{}
			for name, c := range m.Components {
				var refs bool
				for _, item := range c.Spec.Metadata {
					if item.SecretKeyRef != nil {
						refs = true
						secrets[item.SecretKeyRef.Name] = true
						assert.NotEmpty(t, item.SecretKeyRef.Key)
						assert.Nil(t, item.Value, "%s.%s: a value or a secret, not both", name, item.Name)
					}
					assert.False(t, sensitive[item.Name] && item.SecretKeyRef == nil, "%s.%s comes from a Secret", name, item.Name)
				}
				if refs {
					require.NotNil(t, c.Auth, name)
					assert.Equal(t, "kubernetes", c.Auth.SecretStore, name)
				}
			}
			blobs := m.Components["blobs"]
			assert.Equal(t, "bindings.aws.s3", blobs.Spec.Type)
			for name, want := range map[string]string{"decodeBase64": "true"} {
				item, _ := blobs.item(name)
				require.NotNil(t, item.Value, "blobs.%s", name)
				assert.Equal(t, want, *item.Value)
			}
			bucket, _ := blobs.item("bucket")
			require.NotNil(t, bucket.Value)
			assert.NotEmpty(t, *bucket.Value)

			for _, d := range m.Deployments {
				if s := d.Spec.Template.Annotations["dapr.io/api-token-secret"]; s != "" {
					secrets[s] = true
				}
				for _, c := range d.Spec.Template.Spec.Containers {
					for _, e := range c.Env {
						if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
							secrets[e.ValueFrom.SecretKeyRef.Name] = true
						}
					}
				}
			}
			for _, ing := range m.Ingresses {
				for _, tls := range ing.Spec.TLS {
					secrets[tls.SecretName] = true
				}
			}
			require.NotEmpty(t, secrets)
			for s := range secrets {
				assert.Contains(t, string(docs), "`"+s+"`", "docs/operations.md says how to create Secret %s", s)
			}
		})
	}
}

// decodeDir decodes every YAML file directly in dir (links followed, as
// daprd reads a resources path).
func decodeDir(t *testing.T, dir string) *manifests {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	all := newManifests()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		docs, err := splitDocs(data)
		require.NoError(t, err, p)
		for _, doc := range docs {
			require.NoError(t, all.add(doc), p)
		}
	}
	return all
}

// ids are the "Kind/name" of every object, sorted.
func ids(m *manifests) []string {
	return sortedCopy(m.objectsByKindID)
}
