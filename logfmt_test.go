package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

func TestLogrusHandler(t *testing.T) {
	at := time.Date(2026, 12, 3, 15, 27, 4, 123456789, time.UTC)
	for _, tc := range []struct {
		name string
		json bool
		log  func(*slog.Logger)
		want string
	}{
		{"text error", false, func(l *slog.Logger) { l.Error(`container "x" failed`) },
			`time="2026-12-03T15:27:04Z" level=error msg="container \"x\" failed"` + "\n"},
		{"text bare words stay unquoted", false, func(l *slog.Logger) { l.Warn("a-b.c_d/e@f^g+h") },
			`time="2026-12-03T15:27:04Z" level=warning msg=a-b.c_d/e@f^g+h` + "\n"},
		{"text fields sorted after msg", false, func(l *slog.Logger) { l.With("zz", 1).Info("m", "aa", "two words") },
			`time="2026-12-03T15:27:04Z" level=info msg=m aa="two words" zz=1` + "\n"},
		{"text groups dotted", false, func(l *slog.Logger) { l.WithGroup("g").Debug("m", "k", "v") },
			`time="2026-12-03T15:27:04Z" level=debug msg=m g.k=v` + "\n"},
		{"json keys sorted", true, func(l *slog.Logger) { l.Error("container does not exist") },
			`{"level":"error","msg":"container does not exist","time":"2026-12-03T15:27:04Z"}` + "\n"},
		{"json fields", true, func(l *slog.Logger) { l.Warn("m", "n", 3, "s", "<x>") },
			`{"level":"warning","msg":"m","n":3,"s":"\u003cx\u003e","time":"2026-12-03T15:27:04Z"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := newLogrusHandler(&buf, tc.json, slog.LevelDebug)
			h.now = func() time.Time { return at }
			l := slog.New(&zeroTime{h})
			tc.log(l)
			if got := buf.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestLogrusHandlerLevel(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(newLogrusHandler(&buf, false, slog.LevelInfo))
	l.Debug("hidden")
	if buf.Len() != 0 {
		t.Fatalf("debug line written at info level: %q", buf.String())
	}
}

// zeroTime clears the record's time so the handler's clock is used.
type zeroTime struct{ *logrusHandler }

func (z *zeroTime) Handle(ctx context.Context, r slog.Record) error {
	r.Time = time.Time{}
	return z.logrusHandler.Handle(ctx, r)
}

func (z *zeroTime) WithAttrs(as []slog.Attr) slog.Handler {
	return &zeroTime{z.logrusHandler.WithAttrs(as).(*logrusHandler)}
}

func (z *zeroTime) WithGroup(n string) slog.Handler {
	return &zeroTime{z.logrusHandler.WithGroup(n).(*logrusHandler)}
}
