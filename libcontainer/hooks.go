package libcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type hookKind string

const (
	hookPrestart        hookKind = "prestart"
	hookCreateRuntime   hookKind = "createRuntime"
	hookCreateContainer hookKind = "createContainer"
	hookStartContainer  hookKind = "startContainer"
	hookPoststart       hookKind = "poststart"
	hookPoststop        hookKind = "poststop"
)

func hooksOf(s *specs.Spec, k hookKind) []specs.Hook {
	if s == nil || s.Hooks == nil {
		return nil
	}
	h := s.Hooks
	switch k {
	case hookPrestart:
		//lint:ignore SA1019 prestart hooks are deprecated in the spec but still run, as runc runs them
		return h.Prestart
	case hookCreateRuntime:
		return h.CreateRuntime
	case hookCreateContainer:
		return h.CreateContainer
	case hookStartContainer:
		return h.StartContainer
	case hookPoststart:
		return h.Poststart
	case hookPoststop:
		return h.Poststop
	}
	return nil
}

// runHooks runs every hook of one kind in order, with the state JSON on
// stdin; the first failure stops them and is returned, in runc's words
// ("error running prestart hook #0: exit status 3, stdout: ..., stderr: ...").
// A hook without env of its own gets defEnv, as in runc: the runtime's
// hooks (prestart, createRuntime, poststart, poststop) rt's caller's
// environment, startContainer hooks the process's, createContainer none.
func runHooks(s *specs.Spec, k hookKind, st *specs.State, log *slog.Logger, defEnv ...string) error {
	hooks := hooksOf(s, k)
	if len(hooks) == 0 {
		return nil
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("%s hook: encode state: %w", k, err)
	}
	for i, h := range hooks {
		if log != nil {
			log.Debug("run hook", "kind", string(k), "path", h.Path)
		}
		if err := runHook(h, state, defEnv); err != nil {
			return fmt.Errorf("error running %s hook #%d: %w", k, i, err)
		}
	}
	return nil
}

func runHook(h specs.Hook, state []byte, defEnv []string) error {
	ctx := context.Background()
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("timeout must be positive, not %d", *h.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	} else {
		cmd.Args = []string{h.Path}
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = append([]string{}, defEnv...)
	}
	cmd.Stdin = bytes.NewReader(state)
	// A timeout ends the hook's whole process group, and output still held
	// open by a child it left does not keep us waiting.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%s: timed out after %ds", h.Path, *h.Timeout)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%w, stdout: %s, stderr: %s", err,
				strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String()))
		}
		return err
	}
	return nil
}

// runHooksWarn runs every hook of a kind whose failures must not stop the
// lifecycle (poststart, poststop): each failure is a warning and the rest
// still run, as the spec says.
func runHooksWarn(s *specs.Spec, k hookKind, st *specs.State, log *slog.Logger) {
	hooks := hooksOf(s, k)
	if len(hooks) == 0 {
		return
	}
	state, err := json.Marshal(st)
	if err != nil {
		log.Warn(string(k)+" hook: encode state", "error", err)
		return
	}
	for i, h := range hooks {
		log.Debug("run hook", "kind", string(k), "path", h.Path)
		if err := runHook(h, state, os.Environ()); err != nil {
			log.Warn(fmt.Sprintf("error running %s hook #%d: %v", k, i, err))
		}
	}
}

func validateHooks(s *specs.Spec) error {
	if s.Hooks == nil {
		return nil
	}
	for _, k := range []hookKind{hookPrestart, hookCreateRuntime, hookCreateContainer, hookStartContainer, hookPoststart, hookPoststop} {
		for i, h := range hooksOf(s, k) {
			if !strings.HasPrefix(h.Path, "/") {
				return fmt.Errorf("hooks.%s[%d].path: %q is not an absolute path", k, i, h.Path)
			}
		}
	}
	return nil
}
