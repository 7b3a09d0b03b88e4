// Command k8scheck strictly decodes Kubernetes manifests into the typed API objects of
// k8s.io/api, so a misspelled or misplaced field, or a malformed quantity, is an error
// (kubectl's server-side strict field validation would reject the same manifest).
//
// Usage: k8scheck FILE...   Exit status 1 lists every problem, one per line.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

func object(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	}
	return nil, false
}

func check(path string) []error {
	data, err := os.ReadFile(path)
	if err != nil {
		return []error{err}
	}
	var errs []error
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return errs
		}
		if err != nil {
			return append(errs, fmt.Errorf("%s: document %d: %w", path, i, err))
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w", path, i, err))
			continue
		}
		obj, ok := object(meta.APIVersion, meta.Kind)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: document %d: unsupported kind %s %s", path, i, meta.APIVersion, meta.Kind))
			continue
		}
		js, err := yaml.YAMLToJSONStrict(doc) // duplicate keys are errors
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", path, meta.Kind, err))
			continue
		}
		// The API server's own decoder: case-sensitive field names, unknown and duplicate
		// fields reported.
		strict, err := kjson.UnmarshalStrict(js, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", path, meta.Kind, err))
		}
		for _, e := range strict {
			errs = append(errs, fmt.Errorf("%s: %s: %w", path, meta.Kind, e))
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8scheck FILE...")
		os.Exit(2)
	}
	var failed bool
	for _, path := range os.Args[1:] {
		for _, err := range check(path) {
			failed = true
			fmt.Println(err)
		}
	}
	if failed {
		os.Exit(1)
	}
}
