package kubernetes

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// overlays are the deployable renderings, each with its namespace and the
// component set it uses.
var overlays = []struct{ name, namespace, set string }{
	{"dev", "dflix-dev", "redis"},
	{"prod", "dflix", "rabbitmq-postgres"},
}

// uses is which Dapr components each app's code calls by name
// (cmd/dflix/dapr.go: its state store, the publisher on pubsub, the blob
// binding in bff and encoder, the payment and renewal bindings in
// subscription). The pubsubs of its subscriptions come on top.
var uses = map[string][]string{
	"bff":          {"bff-state", "pubsub", "blobs"},
	"auth":         {"auth-state", "pubsub"},
	"catalog":      {"catalog-state", "pubsub"},
	"subscription": {"subscription-state", "pubsub", "payments", "renewals"},
	"encoder":      {"encoder-state", "pubsub", "blobs"},
}

// runFile is what this test reads of dapr/dapr.yaml.
type runFile struct {
	Common struct {
		AppProtocol            string `json:"appProtocol"`
		EnableAppHealthCheck   bool   `json:"enableAppHealthCheck"`
		AppHealthCheckPath     string `json:"appHealthCheckPath"`
		AppHealthProbeInterval int    `json:"appHealthProbeInterval"`
		AppHealthProbeTimeout  int    `json:"appHealthProbeTimeout"`
		AppHealthThreshold     int    `json:"appHealthThreshold"`
	} `json:"common"`
	Apps []struct {
		AppID   string   `json:"appID"`
		AppPort int      `json:"appPort"`
		Command []string `json:"command"`
	} `json:"apps"`
}

func loadRunFile(t *testing.T, root string) runFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "dapr", "dapr.yaml"))
	require.NoError(t, err)
	var rf runFile
	require.NoError(t, yaml.Unmarshal(data, &rf))
	require.NotEmpty(t, rf.Apps)
	return rf
}

// TestOverlaysRender renders each overlay and each Kubernetes component set
// with kustomize, decodes every object strictly into its Kubernetes or Dapr
// type, and checks that every object lands in the overlay's namespace.
func TestOverlaysRender(t *testing.T) {
	root := repoRoot(t)
	for _, o := range overlays {
		t.Run(o.name, func(t *testing.T) {
			m := render(t, filepath.Join(root, "deploy", "kubernetes", "overlays", o.name))
			assert.Equal(t, map[string]bool{o.namespace: true}, m.namespaces, "every object in the overlay's namespace")
			assert.Len(t, m.Configurations, 1)
			assert.Len(t, m.Resiliencies, 1)
			assert.NotEmpty(t, m.Components)
			assert.NotEmpty(t, m.Subscriptions)
		})
	}
	for _, set := range []string{"redis", "rabbitmq-postgres"} {
		t.Run("components/kubernetes/"+set, func(t *testing.T) {
			m := render(t, filepath.Join(root, "components", "kubernetes", set))
			assert.Empty(t, m.Deployments)
			assert.Len(t, m.Components, 10)
		})
	}
}

// TestSourcesDecodeAndAreUsed decodes every manifest file on its own,
// strictly (patches too), and checks that a kustomization lists it: a file
// nobody includes would never reach a cluster.
func TestSourcesDecodeAndAreUsed(t *testing.T) {
	root := repoRoot(t)
	listed := map[string]bool{}
	var files []string
	for _, tree := range []string{"deploy/kubernetes", "components/kubernetes"} {
		err := filepath.WalkDir(filepath.Join(root, tree), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
				return err
			}
			if d.Name() != "kustomization.yaml" {
				files = append(files, path)
				return nil
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			var k struct {
				APIVersion string   `json:"apiVersion"`
				Kind       string   `json:"kind"`
				Namespace  string   `json:"namespace"`
				Resources  []string `json:"resources"`
			}
			require.NoError(t, yaml.Unmarshal(data, &k), path)
			for _, r := range k.Resources {
				listed[filepath.Join(filepath.Dir(path), r)] = true
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.NotEmpty(t, files)
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		t.Run(rel, func(t *testing.T) {
			_, err := decodeFile(f)
			require.NoError(t, err)
			assert.True(t, listed[f], "no kustomization lists %s", rel)
		})
	}
}

// TestAppsMatchRunFile checks each overlay's Deployments against
// dapr/dapr.yaml: the same app ids, each on its app port (annotation,
// container port, DFLIX_ADDR, Service), running --target=<app id>, with the
// run file's app protocol and app health check, and nothing but known
// dapr.io annotations.
func TestAppsMatchRunFile(t *testing.T) {
	root := repoRoot(t)
	rf := loadRunFile(t, root)
	for _, o := range overlays {
		t.Run(o.name, func(t *testing.T) {
			m := render(t, filepath.Join(root, "deploy", "kubernetes", "overlays", o.name))
			byApp := daprDeployments(t, m)
			var want, got []string
			for _, a := range rf.Apps {
				want = append(want, a.AppID)
			}
			for id := range byApp {
				got = append(got, id)
			}
			sort.Strings(want)
			sort.Strings(got)
			require.Equal(t, want, got, "the app ids of dapr/dapr.yaml")

			for _, a := range rf.Apps {
				t.Run(a.AppID, func(t *testing.T) {
					d := byApp[a.AppID]
					ann := d.Spec.Template.Annotations
					port := strconv.Itoa(a.AppPort)
					for k := range ann {
						if strings.HasPrefix(k, "dapr.io/") {
							assert.True(t, daprAnnotations[k], "%s is no annotation daprd 1.14 reads", k)
						}
					}
					assert.Equal(t, "true", ann["dapr.io/enabled"])
					assert.Equal(t, port, ann["dapr.io/app-port"])
					assert.Equal(t, rf.Common.AppProtocol, ann["dapr.io/app-protocol"])
					assert.Equal(t, "true", ann["dapr.io/log-as-json"])
					assert.Contains(t, m.Configurations, ann["dapr.io/config"], "the Configuration the sidecar asks for is rendered")
					assert.Equal(t, strconv.FormatBool(rf.Common.EnableAppHealthCheck), ann["dapr.io/enable-app-health-check"])
					assert.Equal(t, rf.Common.AppHealthCheckPath, ann["dapr.io/app-health-check-path"])
					assert.Equal(t, strconv.Itoa(rf.Common.AppHealthProbeInterval), ann["dapr.io/app-health-probe-interval"])
					assert.Equal(t, strconv.Itoa(rf.Common.AppHealthProbeTimeout), ann["dapr.io/app-health-probe-timeout"])
					assert.Equal(t, strconv.Itoa(rf.Common.AppHealthThreshold), ann["dapr.io/app-health-threshold"])
					for _, k := range []string{"cpu-request", "cpu-limit", "memory-request", "memory-limit"} {
						assert.NotEmpty(t, ann["dapr.io/sidecar-"+k], "sidecar %s", k)
					}

					c := appContainer(t, d)
					assert.Equal(t, []string{"--target=" + a.AppID}, c.Args)
					assert.Contains(t, a.Command, "--target="+a.AppID, "dapr.yaml runs the same target")
					assert.Equal(t, ":"+port, envValue(c, "DFLIX_ADDR"), "the app listens on every interface, on its app port")
					httpPort := containerPort(c, "http")
					assert.Equal(t, int32(a.AppPort), httpPort)

					svc := m.Services[d.Name]
					require.NotNil(t, svc, "a Service per Deployment")
					assert.True(t, selects(svc.Spec.Selector, d.Spec.Template.Labels), "the Service selects the app's pods")
					require.Len(t, svc.Spec.Ports, 1)
					assert.Equal(t, "http", svc.Spec.Ports[0].TargetPort.String())
				})
			}
		})
	}
}

// TestProbesHitServedRoutes checks that the startup and liveness probes ask
// for /healthz and the readiness probe for /readyz, on the app's port, and
// that the target really serves those paths (its route registrations, read
// from the code).
func TestProbesHitServedRoutes(t *testing.T) {
	root := repoRoot(t)
	served := servedRoutes(t, root)
	for _, o := range overlays {
		t.Run(o.name, func(t *testing.T) {
			m := render(t, filepath.Join(root, "deploy", "kubernetes", "overlays", o.name))
			for id, d := range daprDeployments(t, m) {
				c := appContainer(t, d)
				probes := []struct {
					name  string
					probe *corev1.Probe
					path  string
				}{
					{"startup", c.StartupProbe, "/healthz"},
					{"liveness", c.LivenessProbe, "/healthz"},
					{"readiness", c.ReadinessProbe, "/readyz"},
				}
				for _, p := range probes {
					t.Run(id+"/"+p.name, func(t *testing.T) {
						require.NotNil(t, p.probe)
						require.NotNil(t, p.probe.HTTPGet)
						assert.Equal(t, p.path, p.probe.HTTPGet.Path)
						assert.Equal(t, "http", p.probe.HTTPGet.Port.String(), "the named app port")
						assert.Contains(t, served[id], "GET "+p.probe.HTTPGet.Path, "--target=%s serves it", id)
					})
				}
			}
		})
	}
}

// TestScaling checks the HorizontalPodAutoscalers (CPU of the app container
// for bff and catalog, none for the encoder, whose signal is queue depth)
// and a PodDisruptionBudget per app, and that the Ingress reaches the BFF.
func TestScaling(t *testing.T) {
	root := repoRoot(t)
	for _, o := range overlays {
		t.Run(o.name, func(t *testing.T) {
			m := render(t, filepath.Join(root, "deploy", "kubernetes", "overlays", o.name))
			byApp := daprDeployments(t, m)
			scaled := map[string]bool{}
			for name, h := range m.HPAs {
				ref := h.Spec.ScaleTargetRef
				require.Equal(t, "Deployment", ref.Kind, name)
				d := m.Deployments[ref.Name]
				require.NotNil(t, d, "%s scales a rendered Deployment", name)
				scaled[d.Spec.Template.Annotations["dapr.io/app-id"]] = true
				assert.Nil(t, d.Spec.Replicas, "%s: the HPA alone sets replicas", ref.Name)
				require.NotNil(t, h.Spec.MinReplicas)
				assert.LessOrEqual(t, *h.Spec.MinReplicas, h.Spec.MaxReplicas)
				require.Len(t, h.Spec.Metrics, 1)
				metric := h.Spec.Metrics[0]
				require.Equal(t, autoscalingv2.ContainerResourceMetricSourceType, metric.Type)
				assert.Equal(t, corev1.ResourceCPU, metric.ContainerResource.Name)
				assert.Equal(t, appContainer(t, d).Name, metric.ContainerResource.Container)
				assert.NotNil(t, appContainer(t, d).Resources.Requests.Cpu(), "utilization needs a CPU request")
			}
			assert.Equal(t, map[string]bool{"bff": true, "catalog": true}, scaled)

			for id, d := range byApp {
				var pdb bool
				for _, p := range m.PDBs {
					sel, err := labels.ValidatedSelectorFromSet(p.Spec.Selector.MatchLabels)
					require.NoError(t, err)
					if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
						pdb = true
						assert.NotNil(t, p.Spec.MaxUnavailable, "%s: maxUnavailable, so one replica can still be drained", id)
					}
				}
				assert.True(t, pdb, "%s has a PodDisruptionBudget", id)
			}

			require.Len(t, m.Ingresses, 1)
			for _, ing := range m.Ingresses {
				assert.NotEmpty(t, ing.Annotations["nginx.ingress.kubernetes.io/limit-rps"], "rate limited")
				for _, rule := range ing.Spec.Rules {
					for _, p := range rule.HTTP.Paths {
						svc := m.Services[p.Backend.Service.Name]
						require.NotNil(t, svc, "the Ingress's Service is rendered")
						assert.Equal(t, "bff", m.Deployments[svc.Name].Spec.Template.Annotations["dapr.io/app-id"])
						assert.Equal(t, svc.Spec.Ports[0].Name, p.Backend.Service.Port.Name)
					}
				}
			}
		})
	}
}

// daprDeployments indexes the Deployments with a sidecar by app id.
func daprDeployments(t *testing.T, m *manifests) map[string]*appsv1.Deployment {
	t.Helper()
	out := map[string]*appsv1.Deployment{}
	for _, d := range m.Deployments {
		id, ok := d.Spec.Template.Annotations["dapr.io/app-id"]
		if !ok {
			continue
		}
		require.NotContains(t, out, id, "one Deployment per app id")
		out[id] = d
	}
	return out
}

// appContainer is the pod's dflix container.
func appContainer(t *testing.T, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "dflix" {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	require.Failf(t, "no dflix container", "in %s", d.Name)
	return nil
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func containerPort(c *corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// selects reports whether a non-empty selector matches the labels.
func selects(selector, podLabels map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(podLabels))
}

// sortedCopy returns s sorted, leaving s alone.
func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}
