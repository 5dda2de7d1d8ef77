package smtp

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// subjects per e-mail kind; every kind needs an entry and both templates.
var subjects = map[domain.Kind]string{
	domain.KindVerify:        "Confirm your e-mail address",
	domain.KindPasswordReset: "Reset your password",
	// The webhooks module's alert (webhooks.TaskDisabledEmail).
	domain.KindWebhookDisabled: "A webhook of your room was disabled",
}

// templates holds the parsed text and HTML bodies of every kind. The HTML
// one goes through html/template, so a display name like "<b>x" is escaped.
type templates struct {
	text map[domain.Kind]*texttemplate.Template
	html map[domain.Kind]*htmltemplate.Template
}

// body is what the templates see.
type body struct {
	Product     string
	DisplayName string
	Link        string
}

func parseTemplates() (*templates, error) {
	t := &templates{
		text: make(map[domain.Kind]*texttemplate.Template),
		html: make(map[domain.Kind]*htmltemplate.Template),
	}
	for kind := range subjects {
		tt, err := texttemplate.ParseFS(templateFS, "templates/"+string(kind)+".txt.tmpl")
		if err != nil {
			return nil, fmt.Errorf("smtp: template %s text: %w", kind, err)
		}
		ht, err := htmltemplate.ParseFS(templateFS, "templates/"+string(kind)+".html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("smtp: template %s html: %w", kind, err)
		}
		t.text[kind], t.html[kind] = tt.Option("missingkey=error"), ht.Option("missingkey=error")
	}
	return t, nil
}

// render returns the subject, plain text and HTML of e.
func (t *templates) render(e domain.Email, product string) (subject, text, html string, err error) {
	subject, ok := subjects[e.Kind]
	if !ok {
		return "", "", "", fmt.Errorf("%w: no template for e-mail kind %q", domain.ErrInvalid, e.Kind)
	}
	data := body{Product: product, DisplayName: e.DisplayName, Link: e.Link}
	var tb, hb bytes.Buffer
	if err := t.text[e.Kind].Execute(&tb, data); err != nil {
		return "", "", "", fmt.Errorf("smtp: render %s text: %w", e.Kind, err)
	}
	if err := t.html[e.Kind].Execute(&hb, data); err != nil {
		return "", "", "", fmt.Errorf("smtp: render %s html: %w", e.Kind, err)
	}
	return subject, tb.String(), hb.String(), nil
}
