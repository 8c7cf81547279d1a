package kubernetes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	yaml3 "go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// manifests is one rendering, every object decoded into its type and
// indexed by name.
type manifests struct {
	Deployments     map[string]*appsv1.Deployment
	Services        map[string]*corev1.Service
	HPAs            map[string]*autoscalingv2.HorizontalPodAutoscaler
	PDBs            map[string]*policyv1.PodDisruptionBudget
	Ingresses       map[string]*networkingv1.Ingress
	Components      map[string]component
	Configurations  map[string]configuration
	Resiliencies    map[string]resiliency
	Subscriptions   map[string]subscription
	namespaces      map[string]bool // every object's metadata.namespace
	objectsByKindID []string        // "Kind/name", in order
}

func newManifests() *manifests {
	return &manifests{
		Deployments: map[string]*appsv1.Deployment{}, Services: map[string]*corev1.Service{},
		HPAs: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, PDBs: map[string]*policyv1.PodDisruptionBudget{},
		Ingresses: map[string]*networkingv1.Ingress{}, Components: map[string]component{},
		Configurations: map[string]configuration{}, Resiliencies: map[string]resiliency{},
		Subscriptions: map[string]subscription{}, namespaces: map[string]bool{},
	}
}

// add decodes one object strictly (unknown or duplicate fields are errors)
// into the type its apiVersion and kind name. A kind dflix does not ship,
// a Secret above all, is an error.
func (m *manifests) add(doc []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return err
	}
	name := head.Metadata.Name
	if name == "" {
		return fmt.Errorf("%s without a name", head.Kind)
	}
	m.namespaces[head.Metadata.Namespace] = true
	id := head.Kind + "/" + name
	m.objectsByKindID = append(m.objectsByKindID, id)
	switch head.APIVersion + " " + head.Kind {
	case "apps/v1 Deployment":
		return into(doc, m.Deployments, name, new(appsv1.Deployment))
	case "v1 Service":
		return into(doc, m.Services, name, new(corev1.Service))
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return into(doc, m.HPAs, name, new(autoscalingv2.HorizontalPodAutoscaler))
	case "policy/v1 PodDisruptionBudget":
		return into(doc, m.PDBs, name, new(policyv1.PodDisruptionBudget))
	case "networking.k8s.io/v1 Ingress":
		return into(doc, m.Ingresses, name, new(networkingv1.Ingress))
	case "dapr.io/v1alpha1 Component":
		return intoValue(doc, m.Components, name)
	case "dapr.io/v1alpha1 Configuration":
		return intoValue(doc, m.Configurations, name)
	case "dapr.io/v1alpha1 Resiliency":
		return intoValue(doc, m.Resiliencies, name)
	case "dapr.io/v2alpha1 Subscription":
		return intoValue(doc, m.Subscriptions, name)
	}
	return fmt.Errorf("%s: unexpected %s %s (a Secret or a kind this test does not know)", id, head.APIVersion, head.Kind)
}

func into[T any](doc []byte, dst map[string]*T, name string, v *T) error {
	if _, dup := dst[name]; dup {
		return fmt.Errorf("two objects named %s", name)
	}
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dst[name] = v
	return nil
}

func intoValue[T any](doc []byte, dst map[string]T, name string) error {
	var v T
	if _, dup := dst[name]; dup {
		return fmt.Errorf("two objects named %s", name)
	}
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dst[name] = v
	return nil
}

// repoRoot is the repository's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	return root
}

// render builds the kustomization in dir as `kubectl kustomize dir` does
// (default options: no file outside a kustomization's own folder) and
// decodes what it renders.
func render(t *testing.T, dir string) *manifests {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	require.NoError(t, err, "kustomize build %s", dir)
	m := newManifests()
	for _, r := range res.Resources() {
		doc, err := r.AsYAML()
		require.NoError(t, err)
		require.NoError(t, m.add(doc), "rendered from %s", dir)
	}
	return m
}

// decodeFile decodes every document of a manifest file, strictly.
func decodeFile(path string) (*manifests, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := newManifests()
	docs, err := splitDocs(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, doc := range docs {
		if err := m.add(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return m, nil
}

// splitDocs splits a YAML stream into its documents, each re-encoded on
// its own; empty documents are dropped.
func splitDocs(data []byte) ([][]byte, error) {
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var docs [][]byte
	for {
		var node yaml3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(node.Content) == 0 {
			continue
		}
		doc, err := yaml3.Marshal(&node)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
}
