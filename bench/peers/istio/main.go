// Command istio-peer runs Istio's own sidecar injector (package istio.io/istio/pkg/kube/inject)
// so that sidecar-injector can be compared with it: `inject` is the kube-inject code path
// (what `istioctl kube-inject` and Istio's TestInjection run), `serve` is the admission webhook
// handler that istiod mounts at /inject. Nothing here re-implements injection: this program only
// loads configuration and calls Istio's code.
package main

import (
	"fmt"
	"os"
)

const usage = `usage: istio-peer <command> [flags]

commands:
  inject   inject sidecars into the manifests of -f with Istio's kube-inject code path
  inject-batch  the same, document by document, for JSON-line requests on stdin (settings and
           documents in, one JSON line of outputs or errors out): for differential fuzzing
  serve    serve Istio's injection webhook handler (/inject) over HTTPS
  k8s-types  print, as a TypeScript module, how the Go types of the objects kube-inject handles
           read and write JSON (field order, omitempty...), from Istio's Kubernetes API module
  proxy-config-types  print, as a TypeScript module, the JSON form of Istio's ProxyConfig (fields,
           value kinds), from Istio's API module
  version  print the Istio module version this program was built from

Run 'istio-peer <command> -h' for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "inject":
		err = runInject(os.Args[2:])
	case "inject-batch":
		err = runBatch(os.Args[2:])
	case "k8s-types":
		err = runK8sTypes(os.Args[2:])
	case "proxy-config-types":
		err = runProtoTypes(os.Args[2:])
	case "serve":
		err = runServe(os.Args[2:])
	case "version":
		fmt.Println(istioVersion())
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}
