// Command flowmake runs file-based workflows described in a Rulefile.
//
// Exit codes: 0 success (or nothing to do), 1 a job or the workflow failed
// (including Rulefile errors and internal errors), 2 usage error (bad flag
// or argument), 130 interrupted by SIGINT/SIGTERM.
//
// Test hook: with FLOWMAKE_TEST_PANIC=1 in the environment, flowmake panics
// before it parses its arguments, so tests can check that a panic becomes
// an internal error instead of a goroutine dump. Nothing else reads it.
package main

import (
	"io"
	"os"
)

func main() {
	tuneGC()
	os.Exit(guarded(os.Args[1:], os.Stdout, os.Stderr))
}

// guarded is Main with panics on the main goroutine turned into an
// internal error (see internalError); a panic must never reach the user
// as a goroutine dump.
func guarded(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = internalError(p, stderr)
		}
	}()
	if os.Getenv("FLOWMAKE_TEST_PANIC") == "1" {
		panic("test panic requested by FLOWMAKE_TEST_PANIC")
	}
	return Main(args, stdout, stderr)
}
