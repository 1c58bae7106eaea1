package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const checkpointRulefile = `
config {
  samples = ["a", "b"]
}

rule "all" {
  input = expand("gathered/{sample}.txt", { sample = config.samples })
}

checkpoint "split" {
  input  = "data/{sample}.txt"
  output = directory("chunks/{sample}")
  shell  = "mkdir -p ${output} && split -l 10 ${input} ${output}/part_"
}

rule "count" {
  input  = "chunks/{sample}/{part}"
  output = "counted/{sample}/{part}.n"
  shell  = "wc -l < ${input} | tr -d ' ' > ${output}"
}

rule "gather" {
  input = expand("counted/{sample}/{part}.n", {
    sample = wildcards.sample
    part   = glob_wildcards("${checkpoint_output("split", wildcards)[0]}/{part}").part
  })
  output = "gathered/{sample}.txt"
  shell  = "cat ${input} > ${output}"
}
`

func lines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strings.Repeat("x", i%7) + "\n")
	}
	return b.String()
}

// A checkpoint's outputs decide the rest of the graph: the jobs after it
// are known only once it ran, and flowmake adds them during the run.
func TestCheckpointGrowsTheGraph(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": checkpointRulefile, "data/a.txt": lines(25), "data/b.txt": lines(12)})
	r := mustRun(t, dir, "-n")
	if !strings.Contains(r.stdout, "reason: waits for checkpoint split (sample=a)") {
		t.Errorf("dry run should show gather waiting for the checkpoint:\n%s", r.stdout)
	}
	r = mustRun(t, dir, "-j2")
	if got := readFile(t, filepath.Join(dir, "gathered", "a.txt")); got != "10\n10\n5\n" {
		t.Errorf("gathered/a.txt = %q, want the three chunk counts", got)
	}
	if got := readFile(t, filepath.Join(dir, "gathered", "b.txt")); got != "10\n2\n" {
		t.Errorf("gathered/b.txt = %q", got)
	}
	if got := strings.Count(r.stderr, "] done count ("); got != 5 {
		t.Errorf("%d count jobs ran, want 5:\n%s", got, r.stderr)
	}
	r = mustRun(t, dir, "-j2")
	if !strings.Contains(r.stderr, "Nothing to be done.") {
		t.Errorf("second run:\n%s", r.stderr)
	}
	// More data: the checkpoint reruns and makes a fourth chunk.
	writeFile(t, filepath.Join(dir, "data", "a.txt"), lines(31))
	setMtime(t, filepath.Join(dir, "data", "a.txt"), time.Second)
	mustRun(t, dir, "-j2")
	if got := readFile(t, filepath.Join(dir, "gathered", "a.txt")); got != "10\n10\n10\n1\n" {
		t.Errorf("after growing data/a.txt: gathered/a.txt = %q", got)
	}
	// Less data: the old fourth chunk must not survive into the new
	// directory output (a job starts from empty outputs).
	writeFile(t, filepath.Join(dir, "data", "a.txt"), lines(12))
	setMtime(t, filepath.Join(dir, "data", "a.txt"), 2*time.Second)
	mustRun(t, dir, "-j2")
	if got := readFile(t, filepath.Join(dir, "gathered", "a.txt")); got != "10\n2\n" {
		t.Errorf("after shrinking data/a.txt: gathered/a.txt = %q", got)
	}
	if exists(filepath.Join(dir, "chunks", "a", "part_ac")) {
		t.Error("a chunk of the earlier run survived in the directory output")
	}
}
