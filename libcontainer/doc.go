// Package libcontainer creates, starts, signals and destroys containers.
// The bundle's specs.Spec is the one config type all the way down.
//
// A start forks: rt's own process (the parent, the caller of this
// package) re-executes itself as "rt init" in the container's new
// namespaces, and the two talk over the sync socket (sync.go) until the
// init execs the workload. File names say which side of that fork their
// code runs on:
//
//   - init_*.go runs only in the init, inside the container's namespaces,
//     between the fork and the workload's execve: Init and its steps
//     (init_linux.go), the rootfs and its mounts (init_rootfs.go,
//     init_mount_*.go, init_paths.go), the process's own set-up
//     (init_process.go), its log lines (init_log.go).
//   - parent_*.go runs only in rt's process, as the parent's half of a
//     start or exec: starting the child and driving the handshake
//     (parent_process.go, parent_exec.go), and what the parent does to the
//     child from outside (id-mapped mount sources, net devices, the
//     seccomp notify fd, pidfds, the sd_notify relay, input checks, a
//     rootless user's id maps).
//   - Other names are either the library's API, which runs in the
//     caller's process and never in the init (container.go, lifecycle.go,
//     state.go, pause.go, update.go, events.go, stats.go, checkpoint.go,
//     restore.go, criu.go ...), or code both sides share: the sync
//     protocol (sync.go), the spec's validation and the helpers the init
//     applies it with (config.go, console.go, devices.go, env.go,
//     hooks.go, mempolicy.go, mount_idmap.go, mountinfo.go, mountopts.go,
//     process_sched.go): validation runs in the parent before the fork,
//     the apply functions in the init.
//
// The init calls nothing in a parent_*.go file. The parent calls one
// init_*.go function, isBindMount, a pure test of the spec (its comment
// says so); a function that starts running on the other side moves file.
package libcontainer
