package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/flowmake/flowmake/workdir"
)

// maxArgCommand is the longest command handed to bash as its -c
// argument. Linux refuses any single exec argument over MAX_ARG_STRLEN
// (128 KiB) with E2BIG, so a longer command (a gather over 10,000 inputs
// is ~400 KB) runs from a file instead; the margin leaves room for a
// kernel with a smaller page size. Why not always a file: short commands,
// nearly all of them, keep running exactly as before (bash -c, visible in
// ps, no file written per job in a fan of thousands).
const maxArgCommand = 100 << 10

// commandFile is where a long command of spec is written, relative to
// spec.Dir: beside the job's capture, with .sh for .log (a capture ends
// in .log, so the two never collide). "" when spec has no capture; the
// command then goes to a temporary file.
func commandFile(spec Spec) string {
	if spec.Capture == "" {
		return ""
	}
	return strings.TrimSuffix(spec.Capture, ".log") + ".sh"
}

// writeCommandFile writes spec.Command for bash to read and returns its
// absolute path (bash runs in spec.Dir, so a relative one would be read
// from the wrong place) and whether it is a temporary file that must go
// whatever happens.
func writeCommandFile(spec Spec) (string, bool, error) {
	var f *os.File
	var err error
	temp := true
	if rel := commandFile(spec); rel != "" {
		temp = false
		var p string
		if p, err = filepath.Abs(workdir.Dir(spec.Dir).Path(rel)); err == nil {
			f, err = os.Create(p)
		}
	} else {
		f, err = os.CreateTemp("", "flowmake-cmd-*.sh")
	}
	if err != nil {
		return "", temp, fmt.Errorf("write command file: %w", err)
	}
	_, err = f.WriteString(spec.Command)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", temp, fmt.Errorf("write command file: %w", err)
	}
	return f.Name(), temp, nil
}

// shownBytes is how much of a long command's start and end a failure
// message shows, and shortenAbove the length from which it shows only
// those: a gather over a few hundred inputs is already a screenful.
const (
	shownBytes   = 500
	shortenAbove = 4 << 10
)

// shortCommand is spec for a failure message: a command over shortenAbove
// becomes its head, a line saying how much was left out and where the
// whole command is, and its tail. The whole text is beside the job's
// capture under .flowmake/log/: a command too long for the command line
// ran from there; a shorter one is written there now, on failure only, so
// a fan of successful jobs writes nothing.
func shortCommand(spec Spec) Spec {
	cmd := strings.TrimRight(spec.Command, "\n")
	if spec.Script != "" || len(spec.Command) <= shortenAbove || len(cmd) <= 2*shownBytes {
		return spec
	}
	head, tail := shownBytes, len(cmd)-shownBytes
	for head > 0 && !utf8.RuneStart(cmd[head]) {
		head--
	}
	for tail < len(cmd) && !utf8.RuneStart(cmd[tail]) {
		tail++
	}
	where := ""
	if rel := commandFile(spec); rel != "" {
		p := workdir.Dir(spec.Dir).Path(rel)
		if _, err := os.Stat(p); err != nil {
			_, _, err = writeCommandFile(spec)
		}
		if _, err := os.Stat(p); err == nil {
			where = "; the whole command is in " + rel
		}
	}
	spec.Command = fmt.Sprintf("%s\n[... %d of %d bytes left out%s ...]\n%s",
		cmd[:head], tail-head, len(spec.Command), where, cmd[tail:])
	return spec
}
