package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pkg/config/mesh"
	commonfeatures "istio.io/istio/pkg/features"
	"istio.io/istio/pkg/kube/inject"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// batchSettings is one set of injector settings, given as the texts of the files `inject` reads.
type batchSettings struct {
	Values         string `json:"values"`
	Mesh           string `json:"mesh"`
	Config         string `json:"config"`
	NativeSidecars bool   `json:"nativeSidecars"`
	Revision       string `json:"revision"`
}

// batchRequest is one line of input: settings and the documents to inject with them, each on
// its own (as if each were the only document of an `inject -f` file).
type batchRequest struct {
	Settings  batchSettings `json:"settings"`
	Documents []string      `json:"documents"`
	// Parse asks only for YAML texts read as Kubernetes tools read them (sigs.k8s.io/yaml), each
	// as its JSON documents; Settings and Documents are then ignored.
	Parse []string `json:"parse,omitempty"`
}

// batchResult is the outcome for one document: the output `inject` prints, or the error it
// exits with.
type batchResult struct {
	Output string `json:"output,omitempty"`
	// Documents is Output read back as Kubernetes tools read YAML, one JSON value per document.
	Documents []json.RawMessage `json:"documents,omitempty"`
	Error     string            `json:"error,omitempty"`
	Panic     bool              `json:"panic,omitempty"`
	Warnings  []string          `json:"warnings,omitempty"`
}

// parsedText is a YAML text read as JSON documents, or why it could not be.
type parsedText struct {
	Documents []json.RawMessage `json:"documents"`
	Error     string            `json:"error,omitempty"`
}

type batchResponse struct {
	// Error is set when the settings cannot be loaded; Results is then empty.
	Error   string        `json:"error,omitempty"`
	Results []batchResult `json:"results,omitempty"`
	Parsed  []parsedText  `json:"parsed,omitempty"`
}

// loadedSettings are parsed settings, reused while the next request carries the same texts (as
// istiod reuses one configuration for every review).
type loadedSettings struct {
	key    batchSettings
	config *inject.Config
	values inject.ValuesConfig
	mesh   *meshconfig.MeshConfig
}

// runBatch is `inject` for many documents and many settings in one process: JSON lines in, JSON
// lines out, one answer line per request line. It exists for differential fuzzing, where `inject`
// would stop at the first document Istio refuses (inject.IntoResourceFile fails the whole file)
// and a process per document would cost more than the injection itself. Every document still goes
// through inject.IntoResourceFile on its own, exactly as `inject -f` runs a one-document file.
func runBatch(args []string) error {
	fs := flag.NewFlagSet("inject-batch", flag.ContinueOnError)
	logLevel := fs.String("log-level", "none", "Istio's log level: debug|info|warn|error|none (logs go to stderr)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		os.Exit(2)
	}
	if err := configureLogging(*logLevel); err != nil {
		return err
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var current *loadedSettings
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req batchRequest
			var resp batchResponse
			if jerr := json.Unmarshal(line, &req); jerr != nil {
				resp.Error = "unreadable request: " + jerr.Error()
			} else if req.Parse != nil {
				for _, text := range req.Parse {
					resp.Parsed = append(resp.Parsed, parseYAML(text))
				}
			} else if current == nil || current.key != req.Settings {
				if current, jerr = loadBatchSettings(req.Settings); jerr != nil {
					resp.Error = jerr.Error()
				}
			}
			if resp.Error == "" && req.Parse == nil {
				setProcessFeatures(current)
				for _, doc := range req.Documents {
					resp.Results = append(resp.Results, injectOne(current, doc))
				}
			}
			if werr := enc.Encode(resp); werr != nil {
				return werr
			}
			if werr := out.Flush(); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func loadBatchSettings(s batchSettings) (*loadedSettings, error) {
	cfg, err := parseInjectConfig([]byte(s.Config))
	if err != nil {
		return nil, fmt.Errorf("loading injector config: %v", err)
	}
	values, err := inject.NewValuesConfig(s.Values)
	if err != nil {
		return nil, fmt.Errorf("loading values: %v", err)
	}
	// What mesh.ReadMeshConfig does with the file's text.
	meshConfig, err := mesh.ApplyMeshConfigDefaults(s.Mesh)
	if err != nil {
		return nil, fmt.Errorf("loading mesh config: %v", err)
	}
	return &loadedSettings{key: s, config: cfg, values: values, mesh: meshConfig}, nil
}

// setProcessFeatures sets what istiod reads from its environment, as load() does for `inject`.
func setProcessFeatures(s *loadedSettings) {
	if s.key.NativeSidecars {
		features.EnableNativeSidecars = features.NativeSidecarModeEnabled
	} else {
		features.EnableNativeSidecars = features.NativeSidecarModeDisabled
	}
	commonfeatures.CompliancePolicy = ""
	if policy, ok := pilotEnv(s.values.Map())["COMPLIANCE_POLICY"]; ok {
		commonfeatures.CompliancePolicy = policy
	}
}

// injectOne runs one document through Istio's kube-inject path. A panic in Istio's code is what
// would crash istioctl: it is reported as an error.
func injectOne(s *loadedSettings, doc string) (result batchResult) {
	defer func() {
		if r := recover(); r != nil {
			result = batchResult{Error: fmt.Sprintf("panic: %v", r), Panic: true}
		}
	}()
	revision := s.key.Revision
	if revision == "default" {
		revision = ""
	}
	var buf strings.Builder
	err := inject.IntoResourceFile(nil, s.config.Templates, s.values, revision, s.mesh, strings.NewReader(doc), &buf, func(w string) {
		result.Warnings = append(result.Warnings, w)
	})
	if err != nil {
		result.Error = err.Error()
		return result
	}
	result.Output = buf.String()
	parsed := parseYAML(result.Output)
	if parsed.Error != "" {
		result.Error = "reading the output back: " + parsed.Error
		return result
	}
	result.Documents = parsed.Documents
	return result
}

// parseYAML splits a multi-document YAML text and converts each document to JSON with
// sigs.k8s.io/yaml, as kubectl reads manifests; empty documents are left out.
func parseYAML(text string) (out parsedText) {
	out.Documents = []json.RawMessage{}
	reader := k8syaml.NewYAMLReader(bufio.NewReader(strings.NewReader(text)))
	for {
		raw, err := reader.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return parsedText{Error: err.Error()}
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return parsedText{Error: err.Error()}
		}
		if t := strings.TrimSpace(string(js)); t == "null" || t == "{}" || t == "" {
			continue
		}
		out.Documents = append(out.Documents, json.RawMessage(js))
	}
}
