package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/flowmake/flowmake/rules"
)

// Exit codes, documented in README.md and docs/cli.md.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError marks errors in how flowmake was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errInterrupted is returned when a signal stopped the run.
var errInterrupted = errors.New("interrupted")

// errReported is returned when the error has already been printed in full
// (diagnostics, a job failure summary): only the exit code is left to give.
var errReported = errors.New("reported")

// exitCode maps an error to the process exit code and prints what has not
// been printed yet. It is the only place that decides exit codes.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(stderr, "flowmake: interrupted")
		return exitInterrupted
	case errors.Is(err, errReported):
		return exitFailed
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "flowmake: %v\nRun 'flowmake --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "flowmake: %v\n", err)
		return exitFailed
	}
}

// internalError reports a recovered panic: one line that says what broke,
// one that asks for a bug report. The stack goes to a file the report can
// attach, not to the terminal. Its exit code is exitFailed.
func internalError(p any, stderr io.Writer) int {
	fmt.Fprintf(stderr, "flowmake: internal error: %v\n", p)
	where := ""
	if f, err := os.CreateTemp("", "flowmake-crash-*.txt"); err == nil {
		_, werr := fmt.Fprintf(f, "flowmake internal error: %v\n\n%s", p, debug.Stack())
		if f.Close() == nil && werr == nil {
			where = fmt.Sprintf(", attaching %s", f.Name())
		}
	}
	fmt.Fprintf(stderr, "This is a bug in flowmake. Please report it at %s with the command you ran and your Rulefile%s.\n", rules.BugReports, where)
	return exitFailed
}
