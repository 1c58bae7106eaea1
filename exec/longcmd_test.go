package exec

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// long pads command past what one exec argument may hold (128 KiB), so
// under `bash -c` it would fail to start with E2BIG.
func long(command string) string {
	return "# " + strings.Repeat("x", 130<<10) + "\n" + command
}

// The file that ran sits beside the capture: gone after a success, kept
// after a failure, and never the job's stdin.
func TestLongCommandFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, ".flowmake/log/r/x.sh")
	run := func(command string) (Result, string) {
		var out bytes.Buffer
		r := Local{Stdout: &out, Stderr: &out}.Run(context.Background(), Spec{
			Command: long(command), Dir: dir, Capture: ".flowmake/log/r/x.log",
		})
		return r, out.String()
	}
	// stdin is what it always was (/dev/null), not the rest of the script.
	r, out := run(`test -z "$(cat)"; echo "$0"`)
	if !r.OK() {
		t.Fatalf("%+v\n%s", r, out)
	}
	if abs, _ := filepath.Abs(file); out != abs+"\n" {
		t.Errorf("$0 is %q, want the command file %s", out, abs)
	}
	if exists(dir, ".flowmake/log/r/x.sh") {
		t.Error("command file kept after a success")
	}
	command := long("echo failing; exit 4")
	if r, out = run("echo failing; exit 4"); r.ExitCode != 4 {
		t.Fatalf("%+v\n%s", r, out)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != command {
		t.Errorf("command file after a failure: %d bytes, %v; want the command, %d bytes", len(b), err, len(command))
	}
}

// Without a capture the command goes to a temporary file, removed
// whatever happens.
func TestLongCommandTemporaryFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, command := range []string{"true", "exit 2"} {
		r := Local{}.Run(context.Background(), Spec{Command: long(command), Dir: t.TempDir()})
		if r.Err != nil || r.Signal != 0 {
			t.Fatalf("%s: %+v", command, r)
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
			t.Errorf("%s: left %v", command, left)
		}
	}
}

// Cancelling a long command stops its whole process group, as for a
// short one.
func TestLongCommandCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		readPID(t, filepath.Join(dir, "pid"))
		cancel()
	}()
	begin := time.Now()
	r := Local{Grace: 2 * time.Second}.Run(ctx, Spec{
		Command: long("echo $$ > pid; sleep 60 & sleep 60; wait"),
		Dir:     dir,
		Capture: "x.log",
	})
	if !errors.Is(r.Err, context.Canceled) || r.Signal != int(syscall.SIGTERM) {
		t.Errorf("got %+v, want terminated and interrupted", r)
	}
	if d := time.Since(begin); d > 4*time.Second {
		t.Errorf("took %v to stop", d)
	}
	pid := readPID(t, filepath.Join(dir, "pid"))
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid != pid {
		t.Errorf("job %d is not its own group leader (pgid %d)", pid, pgid)
	}
	groupGone(t, pid)
	if exists(dir, "x.sh") {
		t.Error("command file kept after an interrupt")
	}
}

// A failure shows a long command's head and tail and names the file
// that holds all of it; the message stays small. A command too long for
// the command line ran from that file; a shorter one, still too long to
// read in a message, is written there when it fails.
func TestPrinterLongCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files int // inputs of the gather
		ran   bool
	}{
		{"ran from a file", 10000, true},
		{"under the command-line limit", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			command := "cat " + strings.Repeat("data/sample_0001_abcdefghijklmnopqrst.txt ", tc.files) + "> all.txt\n"
			if (len(command) > maxArgCommand) != tc.ran || len(command) <= shortenAbove {
				t.Fatalf("a %d-byte command does not test %q", len(command), tc.name)
			}
			spec := Spec{Name: "gather", Command: command, Dir: dir, Capture: "gather.log"}
			if tc.ran {
				files(t, dir, "gather.sh")
			}
			var buf bytes.Buffer
			(&Printer{W: &buf}).Finished(countJob("A", ""), spec, Result{ExitCode: 1})
			got := buf.String()
			if len(got) > 2000 {
				t.Errorf("message is %d bytes:\n%.3000s", len(got), got)
			}
			left := len(command) - 1 - 2*shownBytes
			for _, want := range []string{
				"FAILED rule gather, exit 1\n    cat data/sample_0001_",
				"\n    [... " + strconv.Itoa(left) + " of " + strconv.Itoa(len(command)) + " bytes left out; the whole command is in gather.sh ...]\n",
				"abcdefghijklmnopqrst.txt > all.txt\n",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("message lacks %q:\n%s", want, got)
				}
			}
			if !tc.ran {
				data, err := os.ReadFile(filepath.Join(dir, "gather.sh"))
				if err != nil || string(data) != command {
					t.Errorf("gather.sh holds %d bytes (%v), want the whole %d-byte command", len(data), err, len(command))
				}
			}
		})
	}
}

// A command a failure message can show whole is shown whole, and no file
// is written for it.
func TestPrinterShortCommandWhole(t *testing.T) {
	dir := t.TempDir()
	command := "cat " + strings.Repeat("data/a.txt ", 300) + "> all.txt"
	if len(command) > shortenAbove {
		t.Fatalf("%d-byte command is not short", len(command))
	}
	var buf bytes.Buffer
	(&Printer{W: &buf}).Finished(countJob("A", ""), Spec{Name: "gather", Command: command, Dir: dir, Capture: "gather.log"}, Result{ExitCode: 1})
	if !strings.Contains(buf.String(), command) || strings.Contains(buf.String(), "left out") {
		t.Errorf("command not shown whole:\n%s", buf.String())
	}
	if exists(dir, "gather.sh") {
		t.Error("a command file was written for a short command")
	}
}
