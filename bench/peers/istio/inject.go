package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"istio.io/istio/pkg/kube/inject"
)

// runInject is `istioctl kube-inject` with local files: Istio's inject.IntoResourceFile, with no
// cluster behind it, handed the templates, values and mesh config, as Istio's TestInjection does.
func runInject(args []string) error {
	fs := flag.NewFlagSet("inject", flag.ContinueOnError)
	var filename, output string
	fs.StringVar(&filename, "f", "", "input manifests, '-' for stdin (required)")
	fs.StringVar(&filename, "filename", "", "same as -f")
	fs.StringVar(&output, "o", "", "write the result to this file instead of stdout")
	fs.StringVar(&output, "output", "", "same as -o")
	var c commonFlags
	c.register(fs, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if filename == "" {
		return errors.New("missing -f FILE (use -f - for stdin)")
	}
	s, err := c.load()
	if err != nil {
		return err
	}
	var in io.Reader = os.Stdin
	if filename != "-" {
		f, err := os.Open(filename)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	// istioctl renders the "default" revision as the empty one.
	revision := c.revision
	if revision == "default" {
		revision = ""
	}
	var out io.Writer = os.Stdout
	if output != "" {
		f, err := os.Create(output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	var warnings []string
	err = inject.IntoResourceFile(nil, s.config.Templates, s.values, revision, s.mesh, in, out, func(w string) {
		warnings = append(warnings, w)
	})
	for _, w := range warnings {
		fmt.Fprint(os.Stderr, w)
	}
	return err
}
