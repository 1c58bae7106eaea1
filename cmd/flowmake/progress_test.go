package main

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// plainRulefile: four jobs that print on both streams, one with a
// message, gathered by all.
const plainRulefile = `rule "all" {
  input = expand("out/{n}.txt", { n = ["a", "b", "c", "d"] })
}

rule "step" {
  output  = "out/{n}.txt"
  message = "stepping ${wildcards.n}"
  shell   = "echo out ${wildcards.n}; echo err ${wildcards.n} >&2; echo more ${wildcards.n}; touch ${output}"
}
`

// TestProgressPlain: without a terminal, a line per finished job, the
// jobs' output grouped behind their names on their own streams, and the
// summary last.
func TestProgressPlain(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": plainRulefile})
	r := mustRun(t, dir, "-j2")
	errLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	done := regexp.MustCompile(`^\[(\d)/5\] done (step \(n=[a-d]\)|all) in \d+\.\ds$`)
	var names []string
	k := 0
	for _, l := range errLines {
		if m := done.FindStringSubmatch(l); m != nil {
			k++
			if m[1] != strconv.Itoa(k) {
				t.Errorf("done line %q: the count should be the %dth done", l, k)
			}
			names = append(names, m[2])
		}
	}
	sort.Strings(names)
	if strings.Join(names, ", ") != "all, step (n=a), step (n=b), step (n=c), step (n=d)" {
		t.Errorf("done lines for %q\n%s", names, r.stderr)
	}
	if last := errLines[len(errLines)-1]; !strings.HasPrefix(last, "5 of 5 steps (100%) done in ") {
		t.Errorf("last line %q, want the summary", last)
	}
	for _, n := range []string{"a", "b", "c", "d"} {
		// Grouped: a job's stdout lines together, behind its name.
		if want := fmt.Sprintf("step n=%s | out %[1]s\nstep n=%[1]s | more %[1]s\n", n); !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
		for _, want := range []string{"step n=" + n + " | err " + n + "\n", "start step (n=" + n + "): stepping " + n + "\n"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
	}
	if got := strings.Count(r.stdout, "\n"); got != 8 {
		t.Errorf("stdout has %d lines, want the 8 the jobs printed:\n%s", got, r.stdout)
	}
	// The capture holds it all, unprefixed; stdout and stderr are two
	// pipes here, so only each stream's own order is kept.
	capture := strings.Fields(strings.ReplaceAll(readFile(t, filepath.Join(dir, ".flowmake", "log", "step", "n=a.log")), " ", "_"))
	sort.Strings(capture)
	if strings.Join(capture, " ") != "err_a more_a out_a" {
		t.Errorf("the capture holds %q, want the job's three lines", capture)
	}

	// -j1: streamed as Snakemake does, unprefixed; -q: no done lines.
	os.RemoveAll(filepath.Join(dir, "out"))
	r = mustRun(t, dir, "-j1", "-q")
	if r.stdout != "out a\nmore a\nout b\nmore b\nout c\nmore c\nout d\nmore d\n" {
		t.Errorf("-j1 stdout:\n%s", r.stdout)
	}
	if r.stderr != "err a\nerr b\nerr c\nerr d\n" {
		t.Errorf("-j1 -q stderr, want only the jobs' own lines:\n%s", r.stderr)
	}

	// -p shows the command with the start line.
	os.Remove(filepath.Join(dir, "out", "b.txt"))
	r = mustRun(t, dir, "-p")
	if want := "start step (n=b): stepping b\n    echo out b; echo err b >&2; echo more b; touch out/b.txt\n"; !strings.Contains(r.stderr, want) {
		t.Errorf("-p: no %q in\n%s", want, r.stderr)
	}
}

// TestProgressPlainFailure: a failure's block and the unsuccessful end,
// which -q keeps.
func TestProgressPlainFailure(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `rule "all" {
  input = ["ok.txt", "bad.txt"]
}

rule "fine" {
  output = "ok.txt"
  shell  = "touch ${output}"
}

rule "breaks" {
  output = "bad.txt"
  shell  = "echo oops >&2; exit 3"
}
`})
	r := flowmake(t, dir, "-j2", "-k", "-q")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	want := "breaks | oops\nFAILED rule breaks, exit 3\n    echo oops >&2; exit 3\n" +
		"    output, in full in .flowmake/log/breaks.log (last lines):\n      oops\n" +
		"1 of 3 steps (33%) done; 1 failed, 1 skipped\n"
	if r.stderr != want {
		t.Errorf("-q stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
}

// tmuxSession starts a tmux server of the test's own (its socket in a
// temp dir) with one detached cols x rows pane running args in dir, and
// returns a function running tmux commands against it. Without tmux the
// test is skipped, unless CI is set (CI installs it: scripts/setup.sh).
func tmuxSession(t *testing.T, dir string, cols, rows int, args ...string) func(args ...string) string {
	t.Helper()
	tmux, err := osexec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed (scripts/setup.sh installs it); CI is set, so this fails")
		}
		t.Skip("tmux is not installed")
	}
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	run := func(args ...string) string {
		t.Helper()
		out, err := osexec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run(append([]string{"new-session", "-d", "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows), "-c", dir}, args...)...)
	t.Cleanup(func() { osexec.Command(tmux, "-S", sock, "kill-server").Run() })
	return run
}

// bashInPane is the pane's shell: a bare bash with only what the test
// gives it in its environment (CI, NO_COLOR and the rest unset).
func bashInPane(dir string) []string {
	return []string{"env", "-i", "HOME=" + dir, "TERM=xterm", "GORACE=atexit_sleep_ms=0",
		"PATH=" + filepath.Dir(flowmakeBin) + ":/usr/bin:/bin", "PS1=$ ",
		"HISTFILE=/dev/null", // no .bash_history written into dir while the test removes it
		"bash", "--norc", "--noprofile"}
}

// napRulefile: twelve half-second jobs that say hello first.
const napRulefile = `rule "all" {
  input = expand("naps/{n}.txt", { n = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"] })
}

rule "nap" {
  output = "naps/{n}.txt"
  shell  = "echo napping ${wildcards.n}; sleep 0.6; touch ${output}"
}
`

// TestProgressLiveTmux runs flowmake on a real terminal (a tmux pane)
// and reads the screen while it runs: the bar counts up, the running
// jobs are listed with their wildcards and elapsed times, and when it
// ends the summary is its last line. FLOWMAKE_PANE_OUT=FILE saves a pane
// captured mid-run.
func TestProgressLiveTmux(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": napRulefile})
	tmux := tmuxSession(t, dir, 120, 40, bashInPane(dir)...)
	tmux("send-keys", "flowmake -j3; echo exit=$?", "Enter")
	exited := regexp.MustCompile(`(?m)^exit=(\d+)$`)

	bar := regexp.MustCompile(`(?m)^(\d+)/13 done .*\d+s`)
	runningRow := regexp.MustCompile(`(?m)^  nap \(n=\d\d\)  \d+s$`)
	var counts []int
	var listed, pane, midRun string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		pane = tmux("capture-pane", "-p")
		if m := bar.FindStringSubmatch(pane); m != nil {
			n, _ := strconv.Atoi(m[1])
			if len(counts) == 0 || counts[len(counts)-1] != n {
				counts = append(counts, n)
			}
			if rows := runningRow.FindAllString(pane, -1); len(rows) > 0 {
				listed = pane
				if midRun == "" && n >= 3 {
					midRun = pane
				}
			}
		}
		if exited.MatchString(pane) {
			break
		}
	}
	if m := exited.FindStringSubmatch(pane); m == nil || m[1] != "0" {
		t.Fatalf("flowmake did not finish well in the pane:\n%s", pane)
	}
	if len(counts) < 2 || counts[len(counts)-1] <= counts[0] {
		t.Errorf("the bar did not move: finished counts seen %v", counts)
	}
	if listed == "" {
		t.Errorf("no capture listed a running job as '  nap (n=NN)  Ns':\nlast pane:\n%s", pane)
	} else if rows := runningRow.FindAllString(listed, -1); len(rows) > 3 {
		t.Errorf("more running jobs listed than -j3 allows:\n%s", listed)
	}
	lines := strings.Split(strings.TrimRight(pane, "\n"), "\n")
	i := len(lines) - 1
	for i > 0 && !exited.MatchString(lines[i]) {
		i--
	}
	if i == 0 || !regexp.MustCompile(`^13 of 13 steps \(100%\) done in \d+\.\ds$`).MatchString(lines[i-1]) {
		t.Errorf("flowmake's last line is not the summary:\n%s", pane)
	}
	if strings.Contains(pane, "13 done") || runningRow.MatchString(pane) {
		t.Errorf("the bar was left on the screen:\n%s", pane)
	}
	for _, want := range []string{"nap n=01 | napping 01", "] done nap (n=12) in "} {
		if !strings.Contains(pane, want) {
			t.Errorf("the pane lacks %q:\n%s", want, pane)
		}
	}
	if out := os.Getenv("FLOWMAKE_PANE_OUT"); out != "" && midRun != "" {
		if err := os.WriteFile(out, []byte(strings.TrimRight(midRun, "\n")+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}
