package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/kube/multicluster"
)

// staticWatcher hands the webhook one configuration and never reports a change.
type staticWatcher struct {
	config *inject.Config
	values string
}

func (w staticWatcher) SetHandler(func(*inject.Config, string) error) {}
func (w staticWatcher) Run(<-chan struct{})                           {}
func (w staticWatcher) Get() (*inject.Config, string, error)          { return w.config, w.values, nil }

// runServe serves the handler istiod mounts at /inject and /inject/ (inject.NewWebhook registers
// it on the mux), with no cluster behind it: no ProxyConfig resources, no node lookups (native
// sidecars follow the flag or the values), as in Istio's own webhook tests.
func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	address := fs.String("address", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 9443, "HTTPS port (0: any free port)")
	certFile := fs.String("cert", "", "TLS certificate (PEM) (required)")
	keyFile := fs.String("key", "", "TLS private key (PEM) (required)")
	var c commonFlags
	c.register(fs, "default")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		os.Exit(2)
	}
	if *certFile == "" || *keyFile == "" {
		return errors.New("--cert and --key are required")
	}
	s, err := c.load()
	if err != nil {
		return err
	}
	env := &model.Environment{Watcher: meshwatcher.NewTestWatcher(s.mesh)}
	env.SetPushContext(&model.PushContext{ProxyConfigs: &model.ProxyConfigs{}})
	mux := http.NewServeMux()
	if _, err := inject.NewWebhook(inject.WebhookParameters{
		Watcher:      staticWatcher{config: s.config, values: s.valuesText},
		Env:          env,
		Mux:          mux,
		Revision:     c.revision,
		MultiCluster: multicluster.NewFakeController(),
	}); err != nil {
		return err
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

	ln, err := net.Listen("tcp", net.JoinHostPort(*address, strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, *certFile, *keyFile) }()
	// One line on stdout for whoever started us: where to send reviews.
	fmt.Printf("listening on https://%s\n", ln.Addr().String())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-stop:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
