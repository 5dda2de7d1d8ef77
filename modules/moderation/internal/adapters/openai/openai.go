// Package openai is the adapter to an OpenAI-compatible moderation endpoint
// (POST <MODERATION_URL>/v1/moderations {input, model?} -> {results:
// [{flagged, categories}]}). Every call has a timeout; consecutive failures
// open a circuit breaker, during which calls fail at once without reaching
// the service. The caller fails open on any error.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/chatforge/chat/modules/moderation/internal/domain"
)

// Config of the adapter.
type Config struct {
	URL             string // base URL; /v1/moderations is appended unless already there
	APIKey          string // sent as Authorization: Bearer; "" sends none
	Model           string // "" leaves the service's default
	Timeout         time.Duration
	BreakerFailures uint32
	BreakerOpenFor  time.Duration
}

// Client implements app.Classifier. Safe for concurrent use.
type Client struct {
	cfg     Config
	url     string
	hc      *http.Client
	breaker *gobreaker.CircuitBreaker[domain.Verdict]
}

// New returns the adapter; onState, when not nil, hears the breaker's
// state changes ("closed", "half-open", "open").
func New(cfg Config, log *slog.Logger, onState func(string)) *Client {
	url := strings.TrimRight(cfg.URL, "/")
	if !strings.HasSuffix(url, "/v1/moderations") {
		url += "/v1/moderations"
	}
	c := &Client{cfg: cfg, url: url, hc: &http.Client{Timeout: cfg.Timeout}}
	failures := max(cfg.BreakerFailures, 1)
	c.breaker = gobreaker.NewCircuitBreaker[domain.Verdict](gobreaker.Settings{
		Name:        "moderation",
		MaxRequests: 1,
		Timeout:     cfg.BreakerOpenFor,
		ReadyToTrip: func(cn gobreaker.Counts) bool { return cn.ConsecutiveFailures >= failures },
		IsExcluded:  func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			log.Warn("moderation service circuit breaker", "from", from.String(), "to", to.String())
			if onState != nil {
				onState(to.String())
			}
		},
	})
	return c
}

type request struct {
	Input string `json:"input"`
	Model string `json:"model,omitempty"`
}

type response struct {
	Results []struct {
		Flagged    bool            `json:"flagged"`
		Categories map[string]bool `json:"categories"`
	} `json:"results"`
}

// Classify implements app.Classifier.
func (c *Client) Classify(ctx context.Context, in domain.Input) (domain.Verdict, error) {
	return c.breaker.Execute(func() (domain.Verdict, error) { return c.call(ctx, in.Content) })
}

func (c *Client) call(ctx context.Context, text string) (domain.Verdict, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	body, _ := json.Marshal(request{Input: text, Model: c.cfg.Model})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return domain.Verdict{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return domain.Verdict{}, fmt.Errorf("moderation service: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return domain.Verdict{}, fmt.Errorf("moderation service: read: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return domain.Verdict{}, fmt.Errorf("moderation service answered %d", res.StatusCode)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Results) == 0 {
		return domain.Verdict{}, fmt.Errorf("moderation service: unreadable answer")
	}
	var cats []string
	flagged := false
	for _, x := range r.Results {
		flagged = flagged || x.Flagged
		for k, v := range x.Categories {
			if v {
				cats = append(cats, k)
			}
		}
	}
	if !flagged {
		return domain.Verdict{}, nil
	}
	sort.Strings(cats)
	reason := "flagged by the moderation service"
	if len(cats) > 0 {
		reason += ": " + strings.Join(cats, ", ")
	}
	return domain.Verdict{Flagged: true, Reason: reason}, nil
}
