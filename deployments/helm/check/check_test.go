package check

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

const chartDir = "../chatforge"

// testValues fill the chart's required secret values.
func testValues() map[string]any {
	return map[string]any{"secret": map[string]any{"values": map[string]any{
		"DATABASE_URL": "postgres://chatforge:pw@db:5432/chatforge?sslmode=require",
		"REDIS_URL":    "redis://redis:6379/0",
		"jwt.pem":      "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
		"jwt.pub.pem":  "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n",
	}}}
}

func TestChartLints(t *testing.T) {
	res := lint.RunAll(chartDir, testValues(), "chat")
	for _, m := range res.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint: %s", m)
		}
	}
}

func TestChartNeedsItsSecrets(t *testing.T) {
	_, err := Render(chartDir, "cf", "chat", nil)
	if err == nil || !strings.Contains(err.Error(), "secret.values.DATABASE_URL is required") {
		t.Fatalf("rendering without secrets: %v, want the required-value message", err)
	}
	if _, err := Render(chartDir, "cf", "chat", map[string]any{"secret": map[string]any{"existingSecret": "mine"}}); err != nil {
		t.Fatalf("with an existing secret: %v", err)
	}
}

// On a Redis Cluster the Secret needs no REDIS_URL; the seed nodes are
// plain settings.
func TestChartOnRedisCluster(t *testing.T) {
	vals := testValues()
	delete(vals["secret"].(map[string]any)["values"].(map[string]any), "REDIS_URL")
	if _, err := Render(chartDir, "cf", "chat", vals); err == nil || !strings.Contains(err.Error(), "secret.values.REDIS_URL is required") {
		t.Fatalf("without REDIS_URL nor a cluster: %v, want the required-value message", err)
	}
	vals["config"] = map[string]any{"REDIS_CLUSTER_ADDRS": "r0:6379,r1:6379,r2:6379"}
	objs, err := Render(chartDir, "cf", "chat", vals)
	if err != nil {
		t.Fatalf("on a cluster without REDIS_URL: %v", err)
	}
	for _, o := range objs {
		if cm, ok := o.Obj.(*corev1.ConfigMap); ok {
			if cm.Data["REDIS_CLUSTER_ADDRS"] != "r0:6379,r1:6379,r2:6379" || cm.Data["LOG_LEVEL"] == "" {
				t.Errorf("ConfigMap %v: want the seed nodes beside the default settings", cm.Data)
			}
			return
		}
	}
	t.Error("no ConfigMap")
}

// rendered renders the chart with testValues and indexes objects by kind/name.
func rendered(t *testing.T, extra map[string]any) map[string]any {
	t.Helper()
	vals := testValues()
	for k, v := range extra {
		vals[k] = v
	}
	objs, err := Render(chartDir, "cf", "chat", vals)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]any{}
	for _, o := range objs {
		m := o.Obj.(interface{ GetName() string })
		kind := o.Obj.GetObjectKind().GroupVersionKind().Kind
		byName[kind+"/"+m.GetName()] = o.Obj
	}
	return byName
}

func TestChartObjects(t *testing.T) {
	objs := rendered(t, nil)
	for _, c := range []string{"api", "gateway", "worker", "web"} {
		d, ok := objs["Deployment/cf-chatforge-"+c].(*appsv1.Deployment)
		if !ok {
			t.Fatalf("no Deployment cf-chatforge-%s", c)
		}
		checkPod(t, c, d)
		if _, ok := objs["PodDisruptionBudget/cf-chatforge-"+c].(*policyv1.PodDisruptionBudget); !ok {
			t.Errorf("%s: no PodDisruptionBudget", c)
		}
		if _, ok := objs["Service/cf-chatforge-"+c].(*corev1.Service); !ok {
			t.Errorf("%s: no Service", c)
		}
	}
	checkGatewayDrain(t, objs["Deployment/cf-chatforge-gateway"].(*appsv1.Deployment))
	checkHPAs(t, objs)
	checkIngress(t, objs)

	job, ok := objs["Job/cf-chatforge-migrate"].(*batchv1.Job)
	if !ok {
		t.Fatal("no migration Job")
	}
	if got := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "); got != "api migrate up" {
		t.Errorf("migration Job runs %q", got)
	}
	if h := job.Annotations["helm.sh/hook"]; h != "pre-install,pre-upgrade" {
		t.Errorf("migration Job hook %q, want pre-install,pre-upgrade", h)
	}
	checkSettings(t, objs)
}

func checkPod(t *testing.T, name string, d *appsv1.Deployment) {
	t.Helper()
	p := d.Spec.Template.Spec
	if len(p.Containers) != 1 {
		t.Fatalf("%s: %d containers", name, len(p.Containers))
	}
	c := p.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != name {
		t.Errorf("%s runs %v", name, c.Args)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("%s: readiness probe is not GET /readyz", name)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("%s: liveness probe is not GET /healthz", name)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("%s: no cpu/memory requests", name)
	}
	if p.SecurityContext == nil || p.SecurityContext.RunAsNonRoot == nil || !*p.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: not runAsNonRoot", name)
	}
	if d.Spec.Selector.MatchLabels["app.kubernetes.io/component"] != name {
		t.Errorf("%s: selector %v", name, d.Spec.Selector.MatchLabels)
	}
}

// checkGatewayDrain: the gateway is SIGKILLed only after its preStop sleep
// and its drain (SHUTDOWN_TIMEOUT: sockets closed with 1001) both ran.
func checkGatewayDrain(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	c := d.Spec.Template.Spec.Containers[0]
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("gateway: no preStop sleep")
	}
	drain := envValue(c, "SHUTDOWN_TIMEOUT")
	dd, err := time.ParseDuration(drain)
	if err != nil {
		t.Fatalf("gateway SHUTDOWN_TIMEOUT %q: %v", drain, err)
	}
	need := c.Lifecycle.PreStop.Sleep.Seconds + int64(dd.Seconds())
	if g := *d.Spec.Template.Spec.TerminationGracePeriodSeconds; g <= need {
		t.Errorf("gateway terminationGracePeriodSeconds %d <= preStop + drain %d", g, need)
	}
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func checkHPAs(t *testing.T, objs map[string]any) {
	t.Helper()
	api, ok := objs["HorizontalPodAutoscaler/cf-chatforge-api"].(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok || api.Spec.Metrics[0].Resource == nil || api.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
		t.Errorf("api HPA is not on CPU: %+v", api)
	}
	gw, ok := objs["HorizontalPodAutoscaler/cf-chatforge-gateway"].(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok || gw.Spec.Metrics[0].Pods == nil {
		t.Fatalf("gateway HPA is not on a Pods metric: %+v", gw)
	}
	// The metric must be the one the gateway exports.
	metric := gw.Spec.Metrics[0].Pods.Metric.Name
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "apps", "gateway", "internal", "gwmetrics", "metrics.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `Name: "`+metric+`"`) {
		t.Errorf("gateway HPA metric %q is not defined in apps/gateway/internal/gwmetrics", metric)
	}
	if d := objs["Deployment/cf-chatforge-gateway"].(*appsv1.Deployment); d.Spec.Replicas != nil {
		t.Error("gateway Deployment sets replicas although its HPA owns them")
	}
}

func checkIngress(t *testing.T, objs map[string]any) {
	t.Helper()
	ing, ok := objs["Ingress/cf-chatforge"].(*networkingv1.Ingress)
	if !ok {
		t.Fatal("no Ingress")
	}
	want := map[string]string{"/api": "cf-chatforge-api", "/ws": "cf-chatforge-gateway", "/socket.io": "cf-chatforge-gateway", "/": "cf-chatforge-web"}
	for _, p := range ing.Spec.Rules[0].HTTP.Paths {
		if svc, ok := want[p.Path]; ok && p.Backend.Service.Name != svc {
			t.Errorf("ingress %s -> %s, want %s", p.Path, p.Backend.Service.Name, svc)
		}
		delete(want, p.Path)
	}
	if len(want) > 0 {
		t.Errorf("ingress lacks paths %v", want)
	}
	for _, a := range []string{"proxy-read-timeout", "proxy-send-timeout"} {
		if ing.Annotations["nginx.ingress.kubernetes.io/"+a] == "" {
			t.Errorf("ingress lacks the WebSocket %s annotation", a)
		}
	}
}

// checkSettings: every setting the chart passes (ConfigMap, container env,
// Secret keys that are variables) is one of .env.example.
func checkSettings(t *testing.T, objs map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#?([A-Z][A-Z0-9_]*)=`).FindAllStringSubmatch(string(b), -1) {
		known[m[1]] = true
	}
	var names []string
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			for k := range o.Data {
				names = append(names, k)
			}
		case *corev1.Secret:
			for k := range o.StringData {
				if !strings.Contains(k, ".") {
					names = append(names, k)
				}
			}
		case *appsv1.Deployment:
			for _, e := range o.Spec.Template.Spec.Containers[0].Env {
				names = append(names, e.Name)
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %d settings", len(names))
	}
	for _, n := range names {
		if !known[n] {
			t.Errorf("the chart sets %s, which is not in .env.example", n)
		}
	}
}
