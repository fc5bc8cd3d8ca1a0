package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/operator/pkg/render"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pkg/config/mesh"
	commonfeatures "istio.io/istio/pkg/features"
	"istio.io/istio/pkg/kube/inject"
	istiolog "istio.io/istio/pkg/log"
	"sigs.k8s.io/yaml"
)

// manifestsDir is Istio's manifests directory (charts and profiles) in the Go module cache, set
// at build time with -ldflags "-X main.manifestsDir=...". When it is empty or gone, the copy of
// the same charts that Istio's module embeds is used.
var manifestsDir = ""

// Chart settings that make Istio's rendered configuration the one sidecar-injector uses when no
// file is given (src/config/defaults.ts: proxy image docker.io/istio/proxyv2:1.28.1). Profile
// "empty" with istiod enabled is how Istio's own injection tests render their configuration.
var defaultSets = []string{
	"profile=empty",
	"components.pilot.enabled=true",
	"values.global.hub=docker.io/istio",
	"values.global.tag=1.28.1",
}

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// commonFlags are the configuration flags shared by inject and serve; their names follow
// sidecar-injector's CLI contract (and istioctl kube-inject's) so one case runs through both.
type commonFlags struct {
	valuesFile       string
	meshConfigFile   string
	injectConfigFile string
	nativeSidecars   string
	revision         string
	manifests        string
	sets             repeated
	logLevel         string
}

func (c *commonFlags) register(fs *flag.FlagSet, defaultRevision string) {
	fs.StringVar(&c.valuesFile, "valuesFile", "", "injector values (the \"values\" key of ConfigMap istio-sidecar-injector), JSON or YAML")
	fs.StringVar(&c.meshConfigFile, "meshConfigFile", "", "mesh config (the \"mesh\" key of ConfigMap istio), applied over Istio's mesh defaults")
	fs.StringVar(&c.injectConfigFile, "injectConfigFile", "", "injector config (the \"config\" key of ConfigMap istio-sidecar-injector), or a bare sidecar template")
	fs.StringVar(&c.nativeSidecars, "native-sidecars", "", "true|false: inject istio-proxy as a native sidecar; default: values pilot.env.ENABLE_NATIVE_SIDECARS, else false")
	fs.StringVar(&c.revision, "revision", defaultRevision, "control plane revision")
	fs.StringVar(&c.manifests, "manifests", "", "Istio's manifests directory, to render the configuration that no file gives (default: the Istio module's)")
	fs.Var(&c.sets, "set", "extra setting for Istio's chart rendering, e.g. values.global.tag=1.29.0 (repeatable)")
	fs.StringVar(&c.logLevel, "log-level", "info", "Istio's log level: debug|info|warn|error|none (logs go to stderr)")
}

// settings is everything Istio's injector is handed.
type settings struct {
	config *inject.Config
	values inject.ValuesConfig
	// valuesText is the values document as given, for the webhook's watcher.
	valuesText string
	mesh       *meshconfig.MeshConfig
	native     bool
}

// load reads the files that are given and renders Istio's chart for the parts that are not, then
// sets the two process-wide features the injection path reads, as istiod's environment would.
func (c *commonFlags) load() (*settings, error) {
	if err := configureLogging(c.logLevel); err != nil {
		return nil, err
	}
	var rendered *renderedConfig
	if c.valuesFile == "" || c.meshConfigFile == "" || c.injectConfigFile == "" {
		var err error
		if rendered, err = renderChart(c.manifests, c.sets); err != nil {
			return nil, err
		}
	}
	s := &settings{}

	configText := ""
	if c.injectConfigFile != "" {
		data, err := os.ReadFile(c.injectConfigFile)
		if err != nil {
			return nil, err
		}
		if s.config, err = parseInjectConfig(data); err != nil {
			return nil, fmt.Errorf("loading --injectConfigFile: %v", err)
		}
	} else {
		configText = rendered.config
		cfg, err := inject.UnmarshalConfig([]byte(configText))
		if err != nil {
			return nil, fmt.Errorf("rendered injector config: %v", err)
		}
		s.config = &cfg
	}

	if c.valuesFile != "" {
		data, err := os.ReadFile(c.valuesFile)
		if err != nil {
			return nil, err
		}
		s.valuesText = string(data)
	} else {
		s.valuesText = rendered.values
	}
	values, err := inject.NewValuesConfig(s.valuesText)
	if err != nil {
		return nil, err
	}
	s.values = values

	if c.meshConfigFile != "" {
		if s.mesh, err = mesh.ReadMeshConfig(c.meshConfigFile); err != nil {
			return nil, err
		}
	} else if s.mesh, err = mesh.ApplyMeshConfig(rendered.mesh, mesh.DefaultMeshConfig()); err != nil {
		return nil, fmt.Errorf("rendered mesh config: %v", err)
	}

	env := pilotEnv(values.Map())
	switch c.nativeSidecars {
	case "true", "false":
		s.native = c.nativeSidecars == "true"
	case "":
		s.native = env["ENABLE_NATIVE_SIDECARS"] == "true"
	default:
		return nil, fmt.Errorf("invalid value %q for --native-sidecars: expected true or false", c.nativeSidecars)
	}
	// istiod reads these from its environment, which Istio's chart fills from values pilot.env.
	if s.native {
		features.EnableNativeSidecars = features.NativeSidecarModeEnabled
	} else {
		features.EnableNativeSidecars = features.NativeSidecarModeDisabled
	}
	if policy, ok := env["COMPLIANCE_POLICY"]; ok {
		commonfeatures.CompliancePolicy = policy
	}
	return s, nil
}

// parseInjectConfig accepts what istioctl kube-inject --injectConfigFile accepts: an injector
// config with templates, or else the body of a single sidecar template.
func parseInjectConfig(data []byte) (*inject.Config, error) {
	var probe inject.Config
	if err := yaml.Unmarshal(data, &probe); err != nil || len(probe.RawTemplates) == 0 {
		templates, err := inject.ParseTemplates(inject.RawTemplates{inject.SidecarTemplateName: string(data)})
		if err != nil {
			return nil, err
		}
		return &inject.Config{
			Policy:           inject.InjectionPolicyEnabled,
			DefaultTemplates: []string{inject.SidecarTemplateName},
			RawTemplates:     inject.RawTemplates{inject.SidecarTemplateName: string(data)},
			Templates:        templates,
		}, nil
	}
	cfg, err := inject.UnmarshalConfig(data)
	if err != nil {
		return nil, err
	}
	return &cfg, nil
}

// pilotEnv returns values pilot.env as strings (booleans and numbers as Go prints them).
func pilotEnv(values map[string]any) map[string]string {
	out := map[string]string{}
	pilot, _ := values["pilot"].(map[string]any)
	env, _ := pilot["env"].(map[string]any)
	for k, v := range env {
		out[k] = fmt.Sprint(v)
	}
	return out
}

type renderedConfig struct {
	config string
	values string
	mesh   string
}

// renderChart renders Istio's installation chart as Istio's injection tests do and returns the
// injector config, values and mesh config from the ConfigMaps it produces.
func renderChart(dir string, extra []string) (*renderedConfig, error) {
	if dir == "" {
		dir = manifestsDir
	}
	sets := append([]string{}, defaultSets...)
	if dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			sets = append(sets, "installPackagePath="+dir)
		} else if dir != manifestsDir {
			return nil, fmt.Errorf("--manifests %s: not a directory", dir)
		}
	}
	sets = append(sets, extra...)
	sets2, _, err := render.GenerateManifest(nil, sets, false, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("rendering Istio's chart: %v", err)
	}
	out := &renderedConfig{}
	for _, set := range sets2 {
		for _, m := range set.Manifests {
			if m.GetKind() != "ConfigMap" {
				continue
			}
			data, _ := m.Object["data"].(map[string]any)
			switch m.GetName() {
			case "istio-sidecar-injector":
				out.config, _ = data["config"].(string)
				out.values, _ = data["values"].(string)
			case "istio":
				out.mesh, _ = data["mesh"].(string)
			}
		}
	}
	if out.config == "" || out.values == "" {
		return nil, errors.New("Istio's chart rendered no istio-sidecar-injector ConfigMap")
	}
	return out, nil
}

func configureLogging(level string) error {
	opts := istiolog.DefaultOptions()
	// stdout carries the injected manifests (inject) or the listening address (serve).
	opts.OutputPaths = []string{"stderr"}
	l, ok := map[string]istiolog.Level{
		"debug": istiolog.DebugLevel, "info": istiolog.InfoLevel, "warn": istiolog.WarnLevel,
		"error": istiolog.ErrorLevel, "none": istiolog.NoneLevel,
	}[level]
	if !ok {
		return fmt.Errorf("invalid --log-level %q", level)
	}
	opts.SetDefaultOutputLevel(istiolog.DefaultScopeName, l)
	return istiolog.Configure(opts)
}

// istioVersion is the version of istio.io/istio this binary was built with.
func istioVersion() string {
	return moduleVersion("istio.io/istio")
}
