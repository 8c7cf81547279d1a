package kubernetes

// The shapes of the Dapr 1.14 resources dflix writes, as far as dflix uses
// them: decoding with unknown fields refused catches a misspelt or misplaced
// key, which daprd itself would mostly ignore. github.com/dapr/dapr's own API
// types would pull its replace directives into this module (dapr/runtime
// builds daprd apart for that reason), so these mirror its CRDs instead.

// objectMeta is the part of Kubernetes' ObjectMeta that the files set.
type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// component is dapr.io/v1alpha1 Component.
type component struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       struct {
		Type         string         `json:"type"`
		Version      string         `json:"version"`
		IgnoreErrors bool           `json:"ignoreErrors,omitempty"`
		InitTimeout  string         `json:"initTimeout,omitempty"`
		Metadata     []metadataItem `json:"metadata"`
	} `json:"spec"`
	Auth   *componentAuth `json:"auth,omitempty"`
	Scopes []string       `json:"scopes,omitempty"`
}

type componentAuth struct {
	SecretStore string `json:"secretStore"`
}

// metadataItem is one name with a value or a secret reference. Dapr takes
// any JSON value; dflix writes strings only, so a bare true or 10 is
// refused here rather than left to daprd's conversions.
type metadataItem struct {
	Name         string        `json:"name"`
	Value        *string       `json:"value,omitempty"`
	SecretKeyRef *secretKeyRef `json:"secretKeyRef,omitempty"`
}

type secretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// item returns the metadata item called name.
func (c component) item(name string) (metadataItem, bool) {
	for _, m := range c.Spec.Metadata {
		if m.Name == name {
			return m, true
		}
	}
	return metadataItem{}, false
}

// configuration is dapr.io/v1alpha1 Configuration.
type configuration struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       struct {
		Tracing        *tracing `json:"tracing,omitempty"`
		Metrics        *metrics `json:"metrics,omitempty"`
		NameResolution *struct {
			Component     string            `json:"component"`
			Version       string            `json:"version,omitempty"`
			Configuration map[string]string `json:"configuration,omitempty"`
		} `json:"nameResolution,omitempty"`
	} `json:"spec"`
}

type tracing struct {
	SamplingRate string `json:"samplingRate"`
	Stdout       bool   `json:"stdout"`
	Zipkin       *struct {
		EndpointAddress string `json:"endpointAddress"`
	} `json:"zipkin,omitempty"`
	Otel *struct {
		EndpointAddress string `json:"endpointAddress"`
		IsSecure        bool   `json:"isSecure"`
		Protocol        string `json:"protocol"`
	} `json:"otel,omitempty"`
}

type metrics struct {
	Enabled bool `json:"enabled"`
	HTTP    *struct {
		IncreasedCardinality *bool    `json:"increasedCardinality,omitempty"`
		PathMatching         []string `json:"pathMatching,omitempty"`
	} `json:"http,omitempty"`
}

// resiliency is dapr.io/v1alpha1 Resiliency.
type resiliency struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       struct {
		Policies struct {
			Timeouts map[string]string `json:"timeouts,omitempty"`
			Retries  map[string]struct {
				Policy      string `json:"policy"`
				Duration    string `json:"duration,omitempty"`
				MaxInterval string `json:"maxInterval,omitempty"`
				MaxRetries  *int   `json:"maxRetries,omitempty"`
			} `json:"retries,omitempty"`
			CircuitBreakers map[string]struct {
				MaxRequests int    `json:"maxRequests"`
				Interval    string `json:"interval"`
				Timeout     string `json:"timeout"`
				Trip        string `json:"trip"`
			} `json:"circuitBreakers,omitempty"`
		} `json:"policies"`
		Targets struct {
			Apps       map[string]policyNames `json:"apps,omitempty"`
			Components map[string]struct {
				Outbound *policyNames `json:"outbound,omitempty"`
				Inbound  *policyNames `json:"inbound,omitempty"`
			} `json:"components,omitempty"`
		} `json:"targets"`
	} `json:"spec"`
	Scopes []string `json:"scopes,omitempty"`
}

type policyNames struct {
	Timeout        string `json:"timeout,omitempty"`
	Retry          string `json:"retry,omitempty"`
	CircuitBreaker string `json:"circuitBreaker,omitempty"`
}

// subscription is dapr.io/v2alpha1 Subscription (declarative).
type subscription struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       struct {
		PubsubName string `json:"pubsubname"`
		Topic      string `json:"topic"`
		Routes     struct {
			Default string `json:"default,omitempty"`
			Rules   []struct {
				Match string `json:"match"`
				Path  string `json:"path"`
			} `json:"rules,omitempty"`
		} `json:"routes"`
		DeadLetterTopic string            `json:"deadLetterTopic,omitempty"`
		Metadata        map[string]string `json:"metadata,omitempty"`
	} `json:"spec"`
	Scopes []string `json:"scopes,omitempty"`
}

// daprAnnotations are the pod annotations daprd 1.14's sidecar injector
// reads (github.com/dapr/dapr pkg/injector/annotations), less the ones it
// deprecates (app-ssl, http-max-request-size, http-read-buffer-size): any
// other dapr.io/ key is a typo the injector ignores without a word.
var daprAnnotations = map[string]bool{
	"dapr.io/enabled": true, "dapr.io/app-port": true, "dapr.io/config": true,
	"dapr.io/app-protocol": true, "dapr.io/app-id": true, "dapr.io/enable-profiling": true,
	"dapr.io/log-level": true, "dapr.io/api-token-secret": true, "dapr.io/app-token-secret": true,
	"dapr.io/log-as-json": true, "dapr.io/app-max-concurrency": true, "dapr.io/enable-metrics": true,
	"dapr.io/metrics-port": true, "dapr.io/enable-debug": true, "dapr.io/debug-port": true,
	"dapr.io/env": true, "dapr.io/sidecar-cpu-request": true, "dapr.io/sidecar-cpu-limit": true,
	"dapr.io/sidecar-memory-request": true, "dapr.io/sidecar-memory-limit": true,
	"dapr.io/sidecar-listen-addresses":             true,
	"dapr.io/sidecar-liveness-probe-delay-seconds": true, "dapr.io/sidecar-liveness-probe-timeout-seconds": true,
	"dapr.io/sidecar-liveness-probe-period-seconds": true, "dapr.io/sidecar-liveness-probe-threshold": true,
	"dapr.io/sidecar-readiness-probe-delay-seconds": true, "dapr.io/sidecar-readiness-probe-timeout-seconds": true,
	"dapr.io/sidecar-readiness-probe-period-seconds": true, "dapr.io/sidecar-readiness-probe-threshold": true,
	"dapr.io/sidecar-image": true, "dapr.io/sidecar-seccomp-profile-type": true,
	"dapr.io/max-body-size": true, "dapr.io/read-buffer-size": true,
	"dapr.io/graceful-shutdown-seconds": true, "dapr.io/block-shutdown-duration": true,
	"dapr.io/enable-api-logging": true, "dapr.io/unix-domain-socket-path": true,
	"dapr.io/volume-mounts": true, "dapr.io/volume-mounts-rw": true,
	"dapr.io/disable-builtin-k8s-secret-store": true, "dapr.io/enable-app-health-check": true,
	"dapr.io/app-health-check-path": true, "dapr.io/app-health-probe-interval": true,
	"dapr.io/app-health-probe-timeout": true, "dapr.io/app-health-threshold": true,
	"dapr.io/placement-host-address": true, "dapr.io/scheduler-host-address": true,
	"dapr.io/pluggable-components": true, "dapr.io/pluggable-components-sockets-folder": true,
	"dapr.io/component-container": true, "dapr.io/inject-pluggable-components": true,
	"dapr.io/app-channel-address": true,
}
