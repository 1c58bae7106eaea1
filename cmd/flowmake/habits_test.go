package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowmake/flowmake/meta"
)

// habitRulefile: a temp() file, a job with wildcards, a directory()
// output and a file that is made by hand in the tests (never recorded).
const habitRulefile = `
rule "all" {
  input = ["b.txt", directory("d"), "hand.txt"]
}
rule "mk" {
  input  = ["a.tmp"]
  output = ["{x}.txt"]
  shell  = "cat ${input[0]} > ${output[0]}"
}
rule "t" {
  output = [temp("a.tmp")]
  shell  = "echo hi > ${output[0]}"
}
rule "dir" {
  output = [directory("d")]
  shell  = "mkdir -p d && echo x > d/x"
}
rule "hand" {
  output = ["hand.txt"]
  shell  = "echo made > hand.txt"
}
`

func TestHabitCores(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
rule "big" {
  output  = ["threads.txt"]
  threads = 1000
  shell   = "echo ${threads} > threads.txt"
}
`})
	// threads is capped by the cores, so the file shows what -c/-j meant.
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"-c", "1"}, 1},
		{[]string{"-c2"}, 2},
		{[]string{"--cores", "all"}, runtime.NumCPU()},
		{[]string{"--cores=3"}, 3},
		{[]string{"-j", "2"}, 2},
		{[]string{"--jobs", "all"}, runtime.NumCPU()},
	} {
		mustRun(t, dir, append(c.args, "-F")...)
		got := strings.TrimSpace(readFile(t, filepath.Join(dir, "threads.txt")))
		if got != strconv.Itoa(c.want) {
			t.Errorf("%v: threads %s, want %d", c.args, got, c.want)
		}
	}
	r := flowmake(t, dir, "--cores", "many")
	if r.code != 2 || !strings.Contains(r.stderr, "whole number or all") {
		t.Errorf("--cores many: exit %d, stderr %q; want 2 and the accepted values", r.code, r.stderr)
	}
	if r := flowmake(t, dir, "-c", "-1"); r.code != 2 {
		t.Errorf("-c -1: exit %d, want 2", r.code)
	}
}

func TestHabitUnlock(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": habitRulefile, "hand.txt": "by hand\n"})
	r := mustRun(t, dir, "--unlock")
	if !strings.Contains(r.stderr, "Nothing to unlock") || !strings.Contains(r.stderr, "never strands") {
		t.Errorf("--unlock before any run: %q", r.stderr)
	}
	if exists(filepath.Join(dir, ".flowmake")) {
		t.Error("--unlock created .flowmake")
	}
	mustRun(t, dir, "-c1")
	// A live holder (this test process) keeps its lock: --unlock says so.
	lock, err := meta.Lock(filepath.Join(dir, ".flowmake"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	r = mustRun(t, dir, "--unlock")
	if !strings.Contains(r.stderr, "Not unlocked") || !strings.Contains(r.stderr, "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("--unlock with a live holder: %q", r.stderr)
	}
	if r := flowmake(t, dir, "-c1", "-F"); r.code == 0 {
		t.Error("a run went ahead while the lock was held: --unlock must not have removed it")
	}
}

func TestHabitListTargetRules(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": habitRulefile})
	r := mustRun(t, dir, "--list-target-rules")
	if r.stdout != "all\nt\ndir\nhand\n" {
		t.Errorf("--list-target-rules:\n%s\nwant all, t, dir, hand (not mk, which has wildcards)", r.stdout)
	}
	if r := flowmake(t, dir, "--list-target-rules", "--unlock"); r.code != 2 {
		t.Errorf("--list-target-rules --unlock: exit %d, want 2", r.code)
	}
}

func TestHabitReason(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": habitRulefile, "hand.txt": "by hand\n"})
	if r := mustRun(t, dir, "-c1"); strings.Contains(r.stderr, "reason:") {
		t.Errorf("reasons without -r:\n%s", r.stderr)
	}
	os.Remove(filepath.Join(dir, "b.txt"))
	r := mustRun(t, dir, "-c1", "-r")
	// The dry run's words, under each started job.
	for _, want := range []string{"start t\n    reason: missing output: a.tmp\n", "start mk (x=b)\n    reason: missing output: b.txt\n"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-r: no %q in\n%s", want, r.stderr)
		}
	}
	os.Remove(filepath.Join(dir, "b.txt"))
	if r := mustRun(t, dir, "-c1", "-r", "-q"); strings.Contains(r.stderr, "reason:") {
		t.Errorf("-r -q printed reasons:\n%s", r.stderr)
	}
}

func TestHabitDeleteOutput(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": habitRulefile, "hand.txt": "by hand\n"})
	path := func(p string) string { return filepath.Join(dir, p) }
	// a.tmp as the target: a temp() target is kept.
	mustRun(t, dir, "-c1", "a.tmp")
	if !exists(path("a.tmp")) {
		t.Fatal("a.tmp, the target, was not kept")
	}
	r := mustRun(t, dir, "--delete-temp-output", "-n")
	if r.stdout != "Would delete a.tmp\n" || !exists(path("a.tmp")) {
		t.Errorf("--delete-temp-output -n: stdout %q, a.tmp exists %v", r.stdout, exists(path("a.tmp")))
	}
	r = mustRun(t, dir, "--delete-temp-output")
	if exists(path("a.tmp")) || !strings.Contains(r.stderr, "Deleted 1 output") {
		t.Errorf("--delete-temp-output kept a.tmp: %q", r.stderr)
	}

	mustRun(t, dir, "-c1")
	for _, p := range []string{"b.txt", "d/x", "hand.txt"} {
		if !exists(path(p)) {
			t.Fatalf("%s not made", p)
		}
	}
	r = mustRun(t, dir, "--delete-all-output", "-n")
	if r.stdout != "Would delete b.txt\nWould delete d\n" {
		t.Errorf("--delete-all-output -n listed:\n%s\nwant b.txt and d, not hand.txt (no record)", r.stdout)
	}
	if !strings.Contains(r.stderr, "kept 1 that flowmake has no record of making") {
		t.Errorf("-n does not say hand.txt is kept: %q", r.stderr)
	}
	if !exists(path("b.txt")) || !exists(path("d/x")) {
		t.Fatal("--delete-all-output -n deleted files")
	}
	r = mustRun(t, dir, "--delete-all-output")
	if exists(path("b.txt")) || exists(path("d")) {
		t.Errorf("--delete-all-output kept b.txt or d: %q", r.stderr)
	}
	if got := readFile(t, path("hand.txt")); got != "by hand\n" {
		t.Errorf("hand.txt, which flowmake did not make, was touched: %q", got)
	}
	if !exists(path("Rulefile")) {
		t.Fatal("Rulefile deleted")
	}
	// The records went with the files: the next run makes them again.
	r = mustRun(t, dir, "-c1")
	if got := ranRules(r.stderr); strings.Join(got, " ") != "all dir mk t" {
		t.Errorf("after --delete-all-output ran %v, want all dir mk t", got)
	}
}

func TestHabitStats(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
rule "all" {
  input = ["slow.txt", "bad.txt"]
}
rule "slow" {
  output = ["{name}.txt"]
  shell  = "sleep 0.3; echo > ${output[0]}"
}
rule "bad" {
  output = ["bad.txt"]
  shell  = "exit 3"
}
`})
	stats := filepath.Join(dir, "stats.json")
	r := flowmake(t, dir, "-c2", "-k", "--stats", stats)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (bad fails)\n%s", r.code, r.stderr)
	}
	var got runStats
	if err := json.Unmarshal([]byte(readFile(t, stats)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 3 || got.Done != 1 || got.Failed != 1 || got.Skipped != 1 || len(got.Jobs) != 2 {
		t.Fatalf("stats %+v; want 3 jobs: 1 done, 1 failed, 1 skipped, 2 listed", got)
	}
	byRule := map[string]jobStats{}
	for _, j := range got.Jobs {
		byRule[j.Rule] = j
	}
	slow, bad := byRule["slow"], byRule["bad"]
	if slow.Status != "ok" || slow.ExitCode != 0 || slow.Wildcards["name"] != "slow" {
		t.Errorf("slow: %+v", slow)
	}
	if slow.Start == nil || slow.End == nil || slow.WallSeconds < 0.3 || slow.End.Sub(*slow.Start) < 300*time.Millisecond {
		t.Errorf("slow's times: %+v; want at least 0.3 s", slow)
	}
	if bad.Status != "failed" || bad.ExitCode != 3 {
		t.Errorf("bad: %+v; want failed with exit 3", bad)
	}
}

// A file output that has become a directory since flowmake made it (the
// user put one there) is not emptied: only a directory() output is
// removed with its contents.
func TestHabitDeleteKeepsAHandMadeDirectory(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": habitRulefile, "hand.txt": "by hand\n"})
	mustRun(t, dir, "-c1")
	b := filepath.Join(dir, "b.txt")
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(b, "notes.txt"), "mine\n")
	r := flowmake(t, dir, "--delete-all-output")
	if got := readFile(t, filepath.Join(b, "notes.txt")); got != "mine\n" {
		t.Fatalf("the hand-made b.txt/notes.txt went: %q\n%s", got, r.stderr)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "b.txt") {
		t.Errorf("exit %d, want 1 naming b.txt:\n%s", r.code, r.stderr)
	}
	if exists(filepath.Join(dir, "d")) {
		t.Error("the directory() output d was kept")
	}
}
