// Package tracing is the OpenTelemetry tracing every binary shares: a
// tracer configured by the standard OTEL_* variables and off by default,
// and the W3C trace context (a traceparent string) that rides inside the
// stream entries, outbox rows and task payloads between the processes.
//
// Off (the default, or a nil *Tracing) costs a nil check per call: Start
// returns the context it was given and a no-op span, Traceparent returns ""
// and nothing is allocated, so the hot path stays allocation-free.
//
// The package holds no global state: New returns a Tracing, callers inject
// it, and the process-wide otel globals are left untouched.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Config is the tracing block of every binary's configuration: the
// standard OpenTelemetry variables (the OTLP exporter also reads its other
// OTEL_EXPORTER_OTLP_* variables, such as HEADERS, TIMEOUT and
// CERTIFICATE, and the batch processor its OTEL_BSP_* ones, from the
// environment itself). Embed it with `envPrefix:""`.
type Config struct {
	// Exporter is OTEL_TRACES_EXPORTER: "otlp" or "none". Unset means
	// otlp when an OTLP endpoint is set, none otherwise: tracing is off
	// unless asked for.
	Exporter string `env:"OTEL_TRACES_EXPORTER"`
	// Endpoint is the OTLP base URL (the traces go to <Endpoint>/v1/traces).
	Endpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// TracesEndpoint, when set, is the full URL the traces are posted to.
	TracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	// Protocol must be http/protobuf (the only one built in).
	Protocol       string `env:"OTEL_EXPORTER_OTLP_PROTOCOL"`
	TracesProtocol string `env:"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"`
	// ServiceName names the process in the traces; default the binary's
	// name (chatforge-api, chatforge-gateway, chatforge-worker).
	ServiceName string `env:"OTEL_SERVICE_NAME"`
	// Sampler: always_on, always_off, traceidratio, parentbased_always_on
	// (the default), parentbased_always_off, parentbased_traceidratio;
	// SamplerArg is the ratio of the traceidratio ones (default 1).
	Sampler    string `env:"OTEL_TRACES_SAMPLER" envDefault:"parentbased_always_on"`
	SamplerArg string `env:"OTEL_TRACES_SAMPLER_ARG"`
	// Disabled is OTEL_SDK_DISABLED: true turns tracing off whatever else
	// is set.
	Disabled bool `env:"OTEL_SDK_DISABLED"`
}

// On reports whether c asks for spans to be exported.
func (c Config) On() bool {
	if c.Disabled {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(c.Exporter)) {
	case "otlp":
		return true
	case "":
		return c.Endpoint != "" || c.TracesEndpoint != ""
	default:
		return false
	}
}

// Validate checks the values New would refuse, so a binary stops at start
// with a clear message rather than running untraced.
func (c Config) Validate() error {
	if c.Disabled {
		return nil
	}
	switch e := strings.ToLower(strings.TrimSpace(c.Exporter)); e {
	case "", "otlp", "none":
	default:
		return fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not supported (want otlp or none)", c.Exporter)
	}
	if !c.On() {
		return nil
	}
	for _, p := range []struct{ name, v string }{
		{"OTEL_EXPORTER_OTLP_PROTOCOL", c.Protocol}, {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", c.TracesProtocol},
	} {
		if p.v != "" && p.v != "http/protobuf" {
			return fmt.Errorf("%s: %q is not supported (want http/protobuf)", p.name, p.v)
		}
	}
	if _, err := c.endpointURL(); err != nil {
		return err
	}
	_, err := c.sampler()
	return err
}

// endpointURL is where the spans are posted, "" to let the exporter use
// its default (localhost:4318).
func (c Config) endpointURL() (string, error) {
	u, name := c.TracesEndpoint, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	if u == "" && c.Endpoint != "" {
		u, name = strings.TrimRight(c.Endpoint, "/")+"/v1/traces", "OTEL_EXPORTER_OTLP_ENDPOINT"
	}
	if u == "" {
		return "", nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", fmt.Errorf("%s: want an absolute http(s) URL", name)
	}
	return u, nil
}

func (c Config) sampler() (sdktrace.Sampler, error) {
	ratio := 1.0
	if c.SamplerArg != "" {
		r, err := strconv.ParseFloat(c.SamplerArg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: want a ratio from 0 to 1 (got %q)", c.SamplerArg)
		}
		ratio = r
	}
	switch strings.ToLower(strings.TrimSpace(c.Sampler)) {
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER: %q is not supported", c.Sampler)
}

// Tracing starts spans and exports them, or does nothing when off. A nil
// *Tracing is off. Safe for concurrent use.
type Tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	log    *slog.Logger // nil: Close reports nothing
}

// New returns the tracing c asks for: off (a nil *Tracing, which is
// valid) unless c.On(). service is the default service name. On, it logs
// the spans' destination and routes the SDK's errors (a failed export:
// the collector is down) to log as warnings; otel's error handler is
// process-wide, the one state this package sets outside its values.
func New(ctx context.Context, c Config, service string, log *slog.Logger) (*Tracing, error) {
	if !c.On() {
		return nil, nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	sampler, _ := c.sampler()
	var opts []otlptracehttp.Option
	u, _ := c.endpointURL()
	if u != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(u))
	}
	// The exporter only builds its client here; it connects per export.
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	if c.ServiceName != "" {
		service = c.ServiceName
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithAttributes(attribute.String("service.name", service)))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing: OpenTelemetry error (spans may be lost)", "err", err)
	}))
	log.InfoContext(ctx, "tracing on", "service", service, "endpoint", u, "sampler", sampler.Description())
	t := newTracing(sdktrace.WithBatcher(exp), sdktrace.WithSampler(sampler), sdktrace.WithResource(res))
	t.log = log
	return t, nil
}

func newTracing(opts ...sdktrace.TracerProviderOption) *Tracing {
	return FromProvider(sdktrace.NewTracerProvider(opts...))
}

// FromProvider returns a Tracing over a provider built by the caller (tests
// recording spans: tracingtest); Shutdown shuts tp down.
func FromProvider(tp *sdktrace.TracerProvider) *Tracing {
	return &Tracing{tp: tp, tracer: tp.Tracer("github.com/chatforge/chat")}
}

// Enabled reports whether spans are recorded and exported.
func (t *Tracing) Enabled() bool { return t != nil }

// Shutdown exports the spans still buffered, within ctx.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// Close exports the spans still buffered, waiting at most 5 s: for a
// deferred call at the end of a binary's run.
func (t *Tracing) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil && t.log != nil {
		t.log.Warn("tracing: the last spans were not exported", "err", err)
	}
}

// Start starts a span as a child of the span in ctx. Off, it returns ctx
// itself and a no-op span, without allocating.
func (t *Tracing) Start(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	if t == nil {
		return ctx, noop.Span{}
	}
	return t.tracer.Start(ctx, name, trace.WithSpanKind(kind))
}

// StartRemote starts a span whose parent is the traceparent carried by a
// stream entry, outbox row or task payload (a root span when it is empty or
// malformed: old entries carry none). Off, it returns ctx and a no-op span.
func (t *Tracing) StartRemote(ctx context.Context, name, traceparent string, kind trace.SpanKind) (context.Context, trace.Span) {
	if t == nil {
		return ctx, noop.Span{}
	}
	if sc, ok := Parse(traceparent); ok {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return t.tracer.Start(ctx, name, trace.WithSpanKind(kind))
}

// Span kinds, so callers need not import the otel trace package.
const (
	Internal = trace.SpanKindInternal
	Server   = trace.SpanKindServer
	Client   = trace.SpanKindClient
	Producer = trace.SpanKindProducer
	Consumer = trace.SpanKindConsumer
)

// NoSpan returns a span that does nothing, for callers that skip Start
// when tracing is off.
func NoSpan() trace.Span { return noop.Span{} }

// StartBatch starts a span for work done at once for many traced items (a
// batch of sends in one transaction): a child of the first traceparent,
// linked to the others, so each item's trace shows the batch. Empty
// traceparents are skipped. Off, it returns ctx and a no-op span.
func (t *Tracing) StartBatch(ctx context.Context, name string, traceparents []string) (context.Context, trace.Span) {
	if t == nil {
		return ctx, noop.Span{}
	}
	var (
		parent bool
		links  []trace.Link
	)
	for _, tp := range traceparents {
		sc, ok := Parse(tp)
		if !ok {
			continue
		}
		if !parent {
			ctx, parent = trace.ContextWithRemoteSpanContext(ctx, sc), true
			continue
		}
		links = append(links, trace.Link{SpanContext: sc})
	}
	return t.tracer.Start(ctx, name, trace.WithLinks(links...))
}
