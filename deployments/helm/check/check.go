// Package check lints and renders the Helm chart in ../chatforge offline,
// with the Helm SDK, and decodes every rendered object strictly into the
// Kubernetes API types (unknown fields fail). It is its own Go module so
// the main module does not pull in Helm and client-go; `go tool task test`
// runs its tests (check_test.go).
package check

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
)

// Object is one rendered manifest decoded into its API type.
type Object struct {
	Template string // e.g. chatforge/templates/hpa.yaml
	Obj      runtime.Object
}

// Render renders the chart at dir with values (merged over values.yaml)
// as release name in namespace, and decodes every object strictly.
func Render(dir, name, namespace string, values map[string]any) ([]Object, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	opts := common.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}
	vals, err := util.ToRenderValues(ch, values, opts, common.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)

	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	var objs []Object
	for _, f := range names {
		if path.Ext(f) != ".yaml" || strings.HasPrefix(path.Base(f), "_") {
			continue
		}
		docs := releaseutil.SplitManifests(files[f])
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			doc := docs[k]
			if strings.TrimSpace(doc) == "" {
				continue
			}
			obj, _, err := strict.Decode([]byte(doc), nil, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w\n%s", f, err, doc)
			}
			objs = append(objs, Object{Template: f, Obj: obj})
		}
	}
	return objs, nil
}
