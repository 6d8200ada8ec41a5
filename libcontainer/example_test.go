package libcontainer_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer"
	_ "github.com/rt-runtime/rt/libcontainer/nsenter"
)

// The example's container is this test binary re-exec'd as "rt init", as
// rt's own main does: the nsenter constructor has run, and the init must
// stay on the main thread.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		runtime.LockOSThread()
		libcontainer.Init() // never returns
	}
}

// Example drives a container's whole life through the library, as an
// engine would: create, start, state, pause, resume, update, signal,
// delete. It needs root (make unit runs as root) and /bin/busybox
// (busybox-static), and removes its state dir and cgroup even when a step
// fails.
func Example() {
	dir, err := os.MkdirTemp("", "rt-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "state")
	const id = "example"
	if err := writeBundle(dir, "sleep", "1000"); err != nil {
		fmt.Println(err)
		return
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer devNull.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	c, err := libcontainer.Create(libcontainer.CreateOpts{
		Root: root, ID: id, Bundle: dir, Detach: true, Log: log,
		Stdio: [3]*os.File{devNull, devNull, devNull},
	})
	if err != nil {
		fmt.Println("create:", err)
		return
	}
	// Whatever fails below, the container, its cgroup and state go.
	defer func() {
		if c, err := libcontainer.Load(root, id, log); err == nil {
			c.Delete(true)
		}
	}()
	status := func() string {
		c, err := libcontainer.Load(root, id, log)
		if err != nil {
			return err.Error()
		}
		return string(c.State.Status)
	}
	fmt.Println("created:", status())

	if err := c.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	fmt.Println("started:", status())
	err = c.Start()
	fmt.Println("start again:", errors.Is(err, libcontainer.ErrRunning), err)

	if err := c.Pause(); err != nil {
		fmt.Println("pause:", err)
		return
	}
	fmt.Println("paused:", status())
	_, err = c.Exec(libcontainer.ExecOpts{Process: &specs.Process{Args: []string{"true"}, Cwd: "/"}})
	fmt.Println("exec:", errors.Is(err, libcontainer.ErrPaused), err)
	if err := c.Resume(); err != nil {
		fmt.Println("resume:", err)
		return
	}
	fmt.Println("resumed:", status())
	code, err := c.ExecWait(libcontainer.ExecOpts{
		Process: &specs.Process{Args: []string{"sh", "-c", "exit 5"}, Env: []string{"PATH=/bin"}, Cwd: "/"},
		Log:     log,
	})
	fmt.Println("exec and wait:", code, err)

	limit := int64(42)
	if err := c.Update(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}); err != nil {
		fmt.Println("update:", err)
		return
	}
	st, err := c.Stats()
	if err != nil {
		fmt.Println("stats:", err)
		return
	}
	fmt.Println("pids limit:", st.Pids.Limit)
	pids, err := c.Processes()
	if err != nil {
		fmt.Println("processes:", err)
		return
	}
	fmt.Println("processes:", len(pids))

	if err := c.Signal(unix.SIGKILL); err != nil {
		fmt.Println("signal:", err)
		return
	}
	for i := 0; i < 1000 && status() != "stopped"; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("killed:", status())
	err = c.Resume()
	fmt.Println("resume:", errors.Is(err, libcontainer.ErrNotPaused), err)

	if err := c.Delete(false); err != nil {
		fmt.Println("delete:", err)
		return
	}
	_, err = libcontainer.Load(root, id, log)
	fmt.Println("deleted:", errors.Is(err, libcontainer.ErrNotExist))
	// Output:
	// created: created
	// started: running
	// start again: true cannot start an already running container
	// paused: paused
	// exec: true cannot exec in a paused container (use --ignore-paused to override)
	// resumed: running
	// exec and wait: 5 <nil>
	// pids limit: 42
	// processes: 1
	// killed: stopped
	// resume: true container not paused
	// deleted: true
}

// ExampleRun is rt run through the library: Run creates and starts the
// container, waits for its workload in the foreground, deletes it and
// returns the workload's exit status.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "rt-example-run-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "state")
	const id = "example-run"
	if err := writeBundle(dir, "sh", "-c", "exit 3"); err != nil {
		fmt.Println(err)
		return
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer devNull.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	defer func() {
		if c, err := libcontainer.Load(root, id, log); err == nil {
			c.Delete(true)
		}
	}()

	code, err := libcontainer.Run(libcontainer.RunOpts{CreateOpts: libcontainer.CreateOpts{
		Root: root, ID: id, Bundle: dir, Log: log,
		Stdio: [3]*os.File{devNull, devNull, devNull},
	}})
	fmt.Println("exit status:", code, err)
	_, err = libcontainer.Load(root, id, log)
	fmt.Println("deleted:", errors.Is(err, libcontainer.ErrNotExist))
	// Output:
	// exit status: 3 <nil>
	// deleted: true
}

// writeBundle makes a bundle in dir: a busybox rootfs and a config whose
// process runs args, in new namespaces and a cgroup of its own.
func writeBundle(dir string, args ...string) error {
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "proc", "dev", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return err
		}
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("busybox-static: %w", err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin/busybox"), bb, 0o755); err != nil {
		return err
	}
	for _, applet := range []string{"sh", "sleep", "true"} {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", applet)); err != nil {
			return err
		}
	}
	spec := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=/bin"},
			Cwd:  "/",
		},
		Hostname: "example",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "mode=755"}},
		},
		Linux: &specs.Linux{
			// Its own cgroup, named after this process so that parallel
			// runs do not meet.
			CgroupsPath: "/rt-example-" + strconv.Itoa(os.Getpid()),
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.NetworkNamespace},
			},
		},
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}
