// Command cri drives containerd's CRI plugin the way the kubelet does, for
// the engine end-to-end test (tests/e2e/cri.sh): a pod sandbox on the host
// network under a runtime handler, one container in it, exec, logs, stop,
// remove, and a container whose start must fail. Each step prints one
// "ok" or "FAIL" line; the exit status is non-zero when any step failed.
// Whatever it made is removed on the way out, also after a failure.
//
// -hook PATH runs an outside check at three (four) points, with the ids the
// runtime saw: `PATH running CONTAINER-ID POD-ID` once the container runs,
// `PATH updated CONTAINER-ID POD-ID` after UpdateContainerResources (only
// with -update-memory, which sets the memory limit to that many bytes),
// `PATH removed CONTAINER-ID POD-ID` after RemoveContainer and
// `PATH pod-removed POD-ID` after RemovePodSandbox. Its output is printed
// as it is (its own ok/FAIL lines); a non-zero exit fails the run. The
// systemd guest's test (tests/e2e/systemd.bats) checks units and cgroup
// files with it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type options struct {
	endpoint, handler, image, logDir, cgroupParent, hook string
	memory, cpuQuota, cpuPeriod, pidsMax, updateMemory   int64
	timeout                                              time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "", "containerd socket path")
	flag.StringVar(&o.handler, "handler", "rt", "runtime handler of the pod")
	flag.StringVar(&o.image, "image", "", "image reference present in the k8s.io namespace")
	flag.StringVar(&o.logDir, "log-dir", "", "pod log directory")
	flag.StringVar(&o.cgroupParent, "cgroup-parent", "", "cgroup parent of the pod (a path for cgroupfs, a slice for systemd)")
	flag.Int64Var(&o.memory, "memory", 96<<20, "the container's memory limit in bytes")
	flag.Int64Var(&o.cpuQuota, "cpu-quota", 0, "the container's CPU quota in µs a period (0: none)")
	flag.Int64Var(&o.cpuPeriod, "cpu-period", 0, "the container's CPU period in µs (0: the runtime's default)")
	flag.Int64Var(&o.pidsMax, "pids-max", 0, "the container's pids.max, as a unified (cgroup v2) resource (0: none)")
	flag.Int64Var(&o.updateMemory, "update-memory", 0, "UpdateContainerResources of the running container to this memory limit in bytes (0: no update)")
	flag.StringVar(&o.hook, "hook", "", "a program run with the ids after start and after removal (see the package doc)")
	flag.DurationVar(&o.timeout, "timeout", 90*time.Second, "time for the whole run")
	flag.Parse()
	if o.endpoint == "" || o.image == "" || o.logDir == "" {
		fmt.Fprintln(os.Stderr, "cri: -endpoint, -image and -log-dir are required")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Printf("FAIL %v\n", err)
		os.Exit(1)
	}
	fmt.Println("ok all CRI steps")
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	conn, err := grpc.NewClient("unix://"+o.endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial %s: %w", o.endpoint, err)
	}
	defer conn.Close()
	rs := cri.NewRuntimeServiceClient(conn)

	v, err := rs.Version(ctx, &cri.VersionRequest{})
	if err != nil {
		return fmt.Errorf("version: %w", err)
	}
	fmt.Printf("ok version %s %s (CRI %s)\n", v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)

	sbConfig := &cri.PodSandboxConfig{
		Metadata:     &cri.PodSandboxMetadata{Name: "rt-e2e-pod", Uid: "rt-e2e-uid", Namespace: "rt-e2e"},
		LogDirectory: o.logDir,
		Linux: &cri.LinuxPodSandboxConfig{
			CgroupParent: o.cgroupParent,
			SecurityContext: &cri.LinuxSandboxSecurityContext{
				NamespaceOptions: &cri.NamespaceOption{Network: cri.NamespaceMode_NODE},
			},
		},
	}
	sb, err := rs.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: sbConfig, RuntimeHandler: o.handler})
	if err != nil {
		return fmt.Errorf("RunPodSandbox: %w", err)
	}
	podID := sb.PodSandboxId
	fmt.Printf("ok pod sandbox %s (handler %s)\n", podID, o.handler)
	defer func() {
		// Removing a pod stops and removes what is left in it.
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := rs.StopPodSandbox(c, &cri.StopPodSandboxRequest{PodSandboxId: podID}); err != nil {
			fmt.Printf("FAIL StopPodSandbox: %v\n", err)
		}
		if _, err := rs.RemovePodSandbox(c, &cri.RemovePodSandboxRequest{PodSandboxId: podID}); err != nil {
			fmt.Printf("FAIL RemovePodSandbox: %v\n", err)
			return
		}
		fmt.Println("ok pod sandbox stopped and removed")
		if err := runHook(c, o, "pod-removed", podID); err != nil {
			fmt.Printf("FAIL %v\n", err)
		}
	}()

	if err := workload(ctx, rs, o, podID, sbConfig); err != nil {
		return err
	}
	return failingStart(ctx, rs, o, podID, sbConfig)
}

// workload runs one container through its whole life in the pod.
func workload(ctx context.Context, rs cri.RuntimeServiceClient, o options, podID string, sbConfig *cri.PodSandboxConfig) error {
	res := &cri.LinuxContainerResources{MemoryLimitInBytes: o.memory, CpuQuota: o.cpuQuota, CpuPeriod: o.cpuPeriod}
	if o.pidsMax > 0 {
		res.Unified = map[string]string{"pids.max": fmt.Sprint(o.pidsMax)}
	}
	cc, err := rs.CreateContainer(ctx, &cri.CreateContainerRequest{
		PodSandboxId:  podID,
		SandboxConfig: sbConfig,
		Config: &cri.ContainerConfig{
			Metadata: &cri.ContainerMetadata{Name: "work"},
			Image:    &cri.ImageSpec{Image: o.image},
			Command:  []string{"sh", "-c", "echo hello-from-cri; exec sleep 600"},
			LogPath:  "work.log",
			Linux:    &cri.LinuxContainerConfig{Resources: res},
		},
	})
	if err != nil {
		return fmt.Errorf("CreateContainer: %w", err)
	}
	id := cc.ContainerId
	fmt.Printf("ok container created %s\n", id)
	if _, err := rs.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: id}); err != nil {
		return fmt.Errorf("StartContainer: %w", err)
	}
	if err := waitState(ctx, rs, id, cri.ContainerState_CONTAINER_RUNNING); err != nil {
		return err
	}
	fmt.Println("ok container running")
	if err := runHook(ctx, o, "running", id, podID); err != nil {
		return err
	}
	if o.updateMemory > 0 {
		// What the kubelet sends for an in-place resize: the whole
		// resources, with the new limit.
		up := &cri.LinuxContainerResources{MemoryLimitInBytes: o.updateMemory, CpuQuota: o.cpuQuota, CpuPeriod: o.cpuPeriod, Unified: res.Unified}
		if _, err := rs.UpdateContainerResources(ctx, &cri.UpdateContainerResourcesRequest{ContainerId: id, Linux: up}); err != nil {
			return fmt.Errorf("UpdateContainerResources: %w", err)
		}
		fmt.Printf("ok container resources updated (memory %d)\n", o.updateMemory)
		if err := runHook(ctx, o, "updated", id, podID); err != nil {
			return err
		}
	}

	ex, err := rs.ExecSync(ctx, &cri.ExecSyncRequest{ContainerId: id, Cmd: []string{"sh", "-c", "echo exec-ok; id -u"}, Timeout: 20})
	if err != nil {
		return fmt.Errorf("ExecSync: %w", err)
	}
	if ex.ExitCode != 0 || string(ex.Stdout) != "exec-ok\n0\n" {
		return fmt.Errorf("ExecSync: exit %d stdout %q stderr %q, want 0 and \"exec-ok\\n0\"", ex.ExitCode, ex.Stdout, ex.Stderr)
	}
	ex, err = rs.ExecSync(ctx, &cri.ExecSyncRequest{ContainerId: id, Cmd: []string{"sh", "-c", "echo to-stderr >&2; exit 7"}, Timeout: 20})
	if err != nil {
		return fmt.Errorf("ExecSync (exit 7): %w", err)
	}
	if ex.ExitCode != 7 || !strings.Contains(string(ex.Stderr), "to-stderr") {
		return fmt.Errorf("ExecSync: exit %d stderr %q, want 7 and \"to-stderr\"", ex.ExitCode, ex.Stderr)
	}
	fmt.Println("ok exec (stdout, stderr, exit codes 0 and 7)")

	logPath := filepath.Join(o.logDir, "work.log")
	if err := waitLog(ctx, logPath, "stdout F hello-from-cri"); err != nil {
		return err
	}
	fmt.Println("ok container log in CRI format")

	if _, err := rs.StopContainer(ctx, &cri.StopContainerRequest{ContainerId: id, Timeout: 2}); err != nil {
		return fmt.Errorf("StopContainer: %w", err)
	}
	st, err := rs.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		return fmt.Errorf("ContainerStatus: %w", err)
	}
	if s := st.Status; s.State != cri.ContainerState_CONTAINER_EXITED || (s.ExitCode != 137 && s.ExitCode != 143) {
		return fmt.Errorf("after StopContainer: state %v exit %d, want EXITED with 137 or 143", s.State, s.ExitCode)
	}
	fmt.Printf("ok container stopped (exit %d)\n", st.Status.ExitCode)
	if _, err := rs.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: id}); err != nil {
		return fmt.Errorf("RemoveContainer: %w", err)
	}
	fmt.Println("ok container removed")
	return runHook(ctx, o, "removed", id, podID)
}

// runHook runs -hook with the point and the ids; nothing without -hook.
func runHook(ctx context.Context, o options, args ...string) error {
	if o.hook == "" {
		return nil
	}
	out, err := exec.CommandContext(ctx, o.hook, args...).CombinedOutput()
	os.Stdout.Write(out)
	if err != nil {
		return fmt.Errorf("hook %s %s: %w", o.hook, strings.Join(args, " "), err)
	}
	return nil
}

// failingStart creates a container whose command does not exist: the
// runtime's error must come back through StartContainer. The shell side
// compares the printed message with the runtime's own log.
func failingStart(ctx context.Context, rs cri.RuntimeServiceClient, o options, podID string, sbConfig *cri.PodSandboxConfig) error {
	cc, err := rs.CreateContainer(ctx, &cri.CreateContainerRequest{
		PodSandboxId:  podID,
		SandboxConfig: sbConfig,
		Config: &cri.ContainerConfig{
			Metadata: &cri.ContainerMetadata{Name: "broken"},
			Image:    &cri.ImageSpec{Image: o.image},
			Command:  []string{"/no/such/binary"},
			LogPath:  "broken.log",
		},
	})
	if err != nil {
		// Some runtimes fail in create already; that is the error to see.
		fmt.Printf("START-ERROR %s\n", oneLine(err))
		return nil
	}
	defer func() {
		if _, err := rs.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: cc.ContainerId}); err != nil {
			fmt.Printf("FAIL RemoveContainer broken: %v\n", err)
		}
	}()
	_, err = rs.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: cc.ContainerId})
	if err == nil {
		return errors.New("StartContainer of /no/such/binary succeeded")
	}
	fmt.Printf("START-ERROR %s\n", oneLine(err))
	return nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

func waitState(ctx context.Context, rs cri.RuntimeServiceClient, id string, want cri.ContainerState) error {
	for {
		st, err := rs.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: id})
		if err != nil {
			return fmt.Errorf("ContainerStatus %s: %w", id, err)
		}
		if st.Status.State == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s: state %v, waited for %v: %w", id, st.Status.State, want, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitLog(ctx context.Context, path, want string) error {
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("log %s: %q not found (have %q, read error %v)", path, want, b, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
