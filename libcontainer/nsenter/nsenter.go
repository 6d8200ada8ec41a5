// Package nsenter runs before the Go runtime starts: when rt re-execs itself
// as the container init (or as a process joining a running container), a C
// constructor reads a bootstrap message from an inherited socket, joins and
// creates namespaces while the process is still single-threaded, and forks
// once more when a pid namespace asks for it. Importing the package for its
// side effect is all a command needs.
package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void rt_nsenter(void);
void __attribute__((constructor)) rt_nsenter_init(void) { rt_nsenter(); }
*/
import "C"

// EnvInitPipe names the environment variable that carries the bootstrap
// socket's fd number. Without it the constructor does nothing.
const EnvInitPipe = "_RT_INITPIPE"
