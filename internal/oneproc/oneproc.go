// Package oneproc sets GOMAXPROCS to 1 as early in package initialisation
// as it can be: rt's commands are short and sequential, and one P spares
// the scheduler's spinning threads, CPU time that every container start
// pays.
//
// It is its own package, imported by main, because where the call happens
// matters: GOMAXPROCS stops the world and frees the dropped P's allocation
// cache, whose spans go to the central span sets, touching fresh pages.
// Called from main's init (after some hundred package inits allocated on
// that P) it cost ~170 page faults and ~0.8 ms of CPU per rt process
// (`perf stat -r 200 rt --version`: 3.02 ms and 628 faults from main's
// init, 2.25 ms and 462 faults from here). A package that imports only
// runtime sorts early in Go's initialisation order (by import path, once
// its imports are done) and runs before most others have allocated
// anything.
package oneproc

import "runtime"

func init() { runtime.GOMAXPROCS(1) }
