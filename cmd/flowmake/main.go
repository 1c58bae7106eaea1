// Command flowmake runs file-based workflows described in a Rulefile.
//
// Exit codes: 0 success (or nothing to do), 1 a job or the workflow failed
// (including Rulefile errors), 2 usage error (bad flag or argument),
// 130 interrupted by SIGINT/SIGTERM.
package main

import (
	"os"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
