package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
)

const mask = "***"

// Masked returns a slog.Value rendering the configuration struct v (or a
// pointer to it) for a start-up log line: keys are the environment variable
// names, nested blocks without a variable of their own are flattened when
// embedded and grouped otherwise, fields tagged `secret:"true"` show "***"
// when set, and passwords inside URLs (DATABASE_URL, REDIS_URL, any string
// field) are masked too. A non-struct v is rendered as slog.AnyValue(v).
func Masked(v any) slog.Value {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return slog.AnyValue(nil)
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return slog.AnyValue(v)
	}
	return slog.GroupValue(maskedAttrs(rv, "")...)
}

func maskedAttrs(rv reflect.Value, prefix string) []slog.Attr {
	var attrs []slog.Attr
	t := rv.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		key, ignored := envKey(sf)
		if ignored {
			continue
		}
		fv := rv.Field(i)
		if isBlock(sf) && !isSecret(sf) {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			nested := maskedAttrs(fv, prefix+sf.Tag.Get("envPrefix"))
			if sf.Anonymous {
				attrs = append(attrs, nested...)
			} else {
				attrs = append(attrs, slog.Attr{Key: sf.Name, Value: slog.GroupValue(nested...)})
			}
			continue
		}
		name := prefix + key
		if key == "" {
			name = sf.Name
		}
		attrs = append(attrs, slog.Attr{Key: name, Value: maskedValue(fv, isSecret(sf))})
	}
	return attrs
}

var durationType = reflect.TypeFor[time.Duration]()

func maskedValue(fv reflect.Value, secret bool) slog.Value {
	if secret {
		if fv.IsZero() {
			return slog.StringValue("") // shows that it is unset
		}
		return slog.StringValue(mask)
	}
	if fv.Type() == durationType {
		// slog would print nanoseconds; "30m0s" is what an operator wrote.
		return slog.StringValue(time.Duration(fv.Int()).String())
	}
	switch fv.Kind() {
	case reflect.String:
		return slog.StringValue(maskURL(fv.String()))
	case reflect.Slice:
		if fv.Type().Elem().Kind() == reflect.String {
			out := make([]string, fv.Len())
			for i := range out {
				out[i] = maskURL(fv.Index(i).String())
			}
			return slog.AnyValue(out)
		}
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return slog.AnyValue(fv.Interface())
	}
	if s, ok := fv.Interface().(fmt.Stringer); ok {
		return slog.StringValue(maskURL(s.String()))
	}
	return slog.AnyValue(fv.Interface())
}

// secretParams are query parameters and key=value DSN keys holding secrets.
var secretParams = map[string]bool{"password": true, "sslpassword": true, "secret": true, "token": true}

var dsnPassword = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('[^']*'|\S+)`)

// maskURL masks the password of a URL's user info and secret query
// parameters; a string that is not a URL is returned as is, except that a
// key=value DSN has its password masked. It errs on the side of hiding: an
// unparsable URL with user info loses the whole user info.
func maskURL(s string) string {
	scheme, rest, isURL := strings.Cut(s, "://")
	if !isURL {
		return dsnPassword.ReplaceAllString(s, "${1}"+mask)
	}
	u, err := url.Parse(s)
	if err != nil {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return scheme + "://" + mask + rest[at:]
		}
		return s
	}
	_, hasPassword := u.User.Password()
	user := u.User
	u.User = nil
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, p := range pairs {
			k, _, _ := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); err == nil && secretParams[strings.ToLower(name)] {
				pairs[i] = k + "=" + mask
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	out := u.String()
	if user == nil {
		return out
	}
	// Put the user info back by hand: url.URL would escape the mask.
	info := url.User(user.Username()).String()
	if hasPassword {
		info += ":" + mask
	}
	return strings.Replace(out, "://", "://"+info+"@", 1)
}
