package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// resource is the part of a Dapr resource YAML these checks read.
type resource struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Type            string `yaml:"type"`
		PubSubName      string `yaml:"pubsubname"`
		Topic           string `yaml:"topic"`
		DeadLetterTopic string `yaml:"deadLetterTopic"`
		Routes          struct {
			Default string `yaml:"default"`
		} `yaml:"routes"`
	} `yaml:"spec"`
	Scopes []string `yaml:"scopes"`
}

// loadSet reads every YAML document in a component set folder, as daprd
// does: the files directly in it (links followed), not its subfolders.
func loadSet(t *testing.T, dir string) map[string]resource {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]resource{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		require.NoError(t, err, "%s (a broken link?)", e.Name())
		dec := yaml.NewDecoder(f)
		for {
			var r resource
			err := dec.Decode(&r)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, e.Name())
			key := r.Kind + "/" + r.Metadata.Name
			_, dup := out[key]
			require.False(t, dup, "%s is declared twice", key)
			out[key] = r
		}
		require.NoError(t, f.Close())
	}
	return out
}

// TestComponentSetsAreInterchangeable checks that every set declares the
// same names, so COMPONENTS=<set> swaps brokers and databases and nothing
// else: the Go adapters and the Subscriptions name these.
func TestComponentSetsAreInterchangeable(t *testing.T) {
	root := repoRoot(t)
	stores := map[string]string{
		"auth-state": "auth", "catalog-state": "catalog", "bff-state": "bff",
		"subscription-state": "subscription", "encoder-state": "encoder",
	}
	var want []string
	for name := range stores {
		want = append(want, "Component/"+name)
	}
	want = append(want, "Component/pubsub", "Component/broadcast", "Component/blobs", "Component/payments", "Component/renewals", "Resiliency/dflix",
		"Subscription/catalog-user-deleted", "Subscription/bff-revocations", "Subscription/bff-cache", "Subscription/catalog-projection",
		"Subscription/encoder-uploads", "Subscription/catalog-media", "Subscription/bff-media")
	for _, k := range want {
		if name, ok := strings.CutPrefix(k, "Subscription/"); ok {
			want = append(want, "Subscription/deadletters."+name) // each its own dead-letter topic
		}
	}
	sort.Strings(want)

	// Blobs are local files in every set but redis-s3, which keeps them on
	// S3 (versitygw in the tests, any S3 in production).
	blobs := map[string]string{"redis": "bindings.localstorage", "rabbitmq-postgres": "bindings.localstorage",
		"mqtt-sqlite": "bindings.localstorage", "redis-s3": "bindings.aws.s3"}
	for set, blobType := range blobs {
		t.Run(set, func(t *testing.T) {
			res := loadSet(t, filepath.Join(root, "components", set))
			var got []string
			for k := range res {
				got = append(got, k)
			}
			sort.Strings(got)
			assert.Equal(t, want, got)

			for name, app := range stores {
				r := res["Component/"+name]
				assert.True(t, strings.HasPrefix(r.Spec.Type, "state."), name)
				assert.Equal(t, []string{app}, r.Scopes, "%s is its app's alone", name)
			}
			assert.Equal(t, blobType, res["Component/blobs"].Spec.Type)
			assert.Equal(t, res["Component/pubsub"].Spec.Type, res["Component/broadcast"].Spec.Type, "one broker for both")
			for k, r := range res {
				if r.Kind != "Subscription" {
					continue
				}
				assert.Equal(t, "/events/"+r.Metadata.Name, r.Spec.Routes.Default, k)
				if sub, ok := strings.CutPrefix(r.Metadata.Name, "deadletters."); ok {
					assert.Equal(t, r.Metadata.Name, r.Spec.Topic, k)
					assert.Empty(t, r.Spec.DeadLetterTopic, "%s: no dead letters of dead letters", k)
					assert.Equal(t, res["Subscription/"+sub].Scopes, r.Scopes, "%s: read by the app whose letters they are", k)
				} else {
					assert.Equal(t, "deadletters."+r.Metadata.Name, r.Spec.DeadLetterTopic, k)
				}
			}
		})
	}
}
