package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// logrusHandler writes log records as runc's logrus does, so that what
// rt prints on stderr and into --log reads like runc's output:
//
//	text: time="2026-12-03T15:27:04Z" level=error msg="container does not exist"
//	json: {"level":"error","msg":"container does not exist","time":"2026-12-03T15:27:04Z"}
//
// Text lines give time, level and msg first and then the other fields by
// name; a value is quoted (Go syntax) unless it is only letters, digits and
// -._/@^+. JSON objects have their keys in sorted order, as encoding/json
// writes logrus' field map. Times are RFC 3339 to the second, local time.
type logrusHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	json  bool
	level slog.Leveler
	attrs []slog.Attr // from WithAttrs, keys already prefixed by their groups
	group string      // prefix for keys from WithGroup ("a.b.")
	now   func() time.Time
}

func newLogrusHandler(w io.Writer, asJSON bool, level slog.Leveler) *logrusHandler {
	return &logrusHandler{mu: new(sync.Mutex), w: w, json: asJSON, level: level, now: time.Now}
}

func (h *logrusHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *logrusHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr(nil), h.attrs...), prefixed(h.group, as)...)
	return &n
}

func (h *logrusHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.group = h.group + name + "."
	return &n
}

// prefixed flattens groups into dotted keys.
func prefixed(group string, as []slog.Attr) []slog.Attr {
	var out []slog.Attr
	for _, a := range as {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			g := group
			if a.Key != "" {
				g += a.Key + "."
			}
			out = append(out, prefixed(g, v.Group())...)
			continue
		}
		if a.Key == "" {
			continue
		}
		out = append(out, slog.Attr{Key: group + a.Key, Value: v})
	}
	return out
}

// logrusLevel spells a level as logrus does: containerd's shim and conmon
// take the message of a "level":"error" line as the container's error.
func logrusLevel(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warning"
	case l >= slog.LevelInfo:
		return "info"
	default:
		return "debug"
	}
}

func (h *logrusHandler) Handle(_ context.Context, r slog.Record) error {
	fields := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		fields = append(fields, prefixed(h.group, []slog.Attr{a})...)
		return true
	})
	t := r.Time
	if t.IsZero() {
		t = h.now()
	}
	ts := t.Format(time.RFC3339)
	var buf bytes.Buffer
	if h.json {
		m := make(map[string]any, len(fields)+3)
		for _, a := range fields {
			m[a.Key] = a.Value.Any()
		}
		m["time"] = ts
		m["level"] = logrusLevel(r.Level)
		m["msg"] = r.Message
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode log record: %w", err)
		}
		buf.Write(b)
	} else {
		sort.SliceStable(fields, func(i, j int) bool { return fields[i].Key < fields[j].Key })
		writeField(&buf, "time", ts)
		buf.WriteByte(' ')
		writeField(&buf, "level", logrusLevel(r.Level))
		buf.WriteByte(' ')
		writeField(&buf, "msg", r.Message)
		for _, a := range fields {
			buf.WriteByte(' ')
			writeField(&buf, a.Key, fmt.Sprint(a.Value.Any()))
		}
	}
	buf.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(buf.Bytes())
	return err
}

func writeField(buf *bytes.Buffer, key, val string) {
	buf.WriteString(key)
	buf.WriteByte('=')
	if needsQuoting(val) {
		fmt.Fprintf(buf, "%q", val)
	} else {
		buf.WriteString(val)
	}
}

// needsQuoting is logrus' rule: anything but letters, digits and -._/@^+.
func needsQuoting(s string) bool {
	for _, c := range s {
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '/' || c == '@' || c == '^' || c == '+') {
			return true
		}
	}
	return false
}
