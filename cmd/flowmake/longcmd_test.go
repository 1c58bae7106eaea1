package main

import (
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// longGather is a workspace of 10,000 source files with 40-character
// paths and rules whose ${input} is all of them: each command is ~410 KB,
// more than Linux takes in one exec argument (128 KiB).
func longGather(t *testing.T) string {
	t.Helper()
	dir := workspace(t, map[string]string{"Rulefile": `
config {
  samples = glob_wildcards("data/{s}.txt").s
}
rule "gather" {
  input  = expand("data/{s}.txt", { s = config.samples })
  output = "all.txt"
  shell  = "cat ${input} > ${output}"
}
rule "failing" {
  input  = expand("data/{s}.txt", { s = config.samples })
  output = "failing.txt"
  shell  = "cat ${input} > /dev/null; exit 7"
}
rule "pipe" {
  input  = expand("data/{s}.txt", { s = config.samples })
  output = "pipe.txt"
  shell  = "cat ${input} | false | cat > /dev/null; touch ${output}"
}
rule "unset" {
  input  = expand("data/{s}.txt", { s = config.samples })
  output = "unset.txt"
  shell  = "echo $FLOWMAKE_SURELY_UNSET ${input} > ${output}"
}
rule "hang" {
  input  = expand("data/{s}.txt", { s = config.samples })
  output = "hang.txt"
  shell  = "echo $$ > pid; sleep 60 & sleep 60; touch ${output}"
}
`})
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10000; i++ {
		name := fmt.Sprintf("data/s%05d_abcdefghijklmnopqrstuvwx.txt", i) // 40 characters
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLongCommand(t *testing.T) {
	dir := longGather(t)

	mustRun(t, dir, "-q", "all.txt")
	lines := strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(dir, "all.txt")), "\n"), "\n")
	if len(lines) != 10000 || lines[0] != "data/s00000_abcdefghijklmnopqrstuvwx.txt" || lines[9999] != "data/s09999_abcdefghijklmnopqrstuvwx.txt" {
		t.Errorf("all.txt has %d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	if exists(filepath.Join(dir, ".flowmake/log/gather.sh")) {
		t.Error("the command file is kept after a success")
	}

	// Exit status, -o pipefail and -u hold as for a short command.
	for _, tt := range []struct{ target, rule, exit string }{
		{"failing.txt", "failing", "exit 7"},
		{"pipe.txt", "pipe", "exit 1"},
		{"unset.txt", "unset", "exit 1"},
	} {
		r := flowmake(t, dir, tt.target)
		if r.code != 1 {
			t.Errorf("%s: flowmake exit %d, want 1\n%.2000s", tt.rule, r.code, r.stderr)
		}
		failed := "FAILED rule " + tt.rule + ", " + tt.exit + "\n"
		file := ".flowmake/log/" + tt.rule + ".sh"
		if !strings.Contains(r.stderr, failed) || !strings.Contains(r.stderr, "bytes left out; the whole command is in "+file+" ...]") {
			t.Errorf("%s: stderr lacks %q or the command file:\n%.2000s", tt.rule, failed, r.stderr)
		}
		if len(r.stderr) > 5000 {
			t.Errorf("%s: the failure message is %d bytes", tt.rule, len(r.stderr))
		}
		if cmd := readFile(t, filepath.Join(dir, file)); !strings.Contains(cmd, " data/s09999_abcdefghijklmnopqrstuvwx.txt") {
			t.Errorf("%s: the kept command file lacks the last input (%d bytes)", tt.rule, len(cmd))
		}
		if exists(filepath.Join(dir, tt.target)) {
			t.Errorf("%s: output of a failed job kept", tt.rule)
		}
	}
}

// SIGTERM stops a long command's whole process group, as it does a short one's.
func TestLongCommandTerminated(t *testing.T) {
	dir := longGather(t)
	cmd, stderr := startFlowmake(t, dir, "hang.txt")
	pid := 0
	for deadline := time.Now().Add(20 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(dir, "pid")); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the job never started\n%s", stderr.String())
	}
	begin := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *osexec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("flowmake ended with %v, want exit 130\n%s", err, stderr.String())
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("took %v to stop", d)
	}
	// Zombies left for init to reap hold nothing; live members would.
	if live := liveGroupMembers(pid); len(live) > 0 {
		t.Errorf("the job's process group %d outlived flowmake: %v", pid, live)
		syscall.Kill(-pid, syscall.SIGKILL)
	}
	if exists(filepath.Join(dir, "hang.txt")) {
		t.Error("output of the interrupted job exists")
	}
}
